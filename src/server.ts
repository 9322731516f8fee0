/**
 * The entry the Procfile runs (`node dist/server.js`): every workflow and HTTP route of this
 * app, served by one process on PORT. See run-server.ts for config, signals and exit codes.
 */
import { runServer } from './run-server';
import { routes } from './routes';
import { workflows } from './workflows';

void runServer(workflows, routes);
