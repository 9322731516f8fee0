import { ConfigError, loadConfig } from './config';
import { createWorkflowServer } from './create-workflow-server';
import { createLogger } from './logger';
import type { Routes } from './http/define-routes';
import type { WorkflowHandler, WorkflowModule } from './relay/workflow-registry';

/**
 * The process around the server: read config, build, listen on HOST:PORT, and on SIGTERM
 * (Heroku's restart signal) or SIGINT drain and exit 0. A bad setting exits 1 before listening,
 * with one line on stderr. An exception nothing caught is logged at fatal, then the process exits 1
 * (its state is unknown); a rejected promise nobody awaited is logged and the process goes on.
 */
export async function runServer(
  workflows: Readonly<Record<string, WorkflowHandler | WorkflowModule>>,
  routes: readonly Routes[] = [],
): Promise<void> {
  try {
    const config = loadConfig();
    const logger = createLogger({ level: config.logLevel, logPrivateData: config.logPrivateData });
    const server = createWorkflowServer({ config, logger, workflows, routes });
    process.on('uncaughtException', (err) => {
      logger.fatal({ err, sessions: server.sessions }, 'uncaught exception; exiting');
      process.exit(1);
    });
    process.on('unhandledRejection', (reason) => {
      logger.error({ err: reason }, 'a promise was rejected and nothing awaited it (a workflow action without await?)');
    });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        logger.info({ signal, graceMs: config.shutdownGraceMs, sessions: server.sessions }, 'shutting down');
        void server.close().then(() => process.exit(0));
      });
    }
    await server.listen();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${err instanceof ConfigError ? 'configuration error' : 'startup failed'}: ${message}\n`);
    process.exit(1);
  }
}
