import type { Routes } from '../http/define-routes';
import broadcastHook from './broadcast-hook';
import transportHook from './transport-hook';
import workflowNames from './workflow-names';

/**
 * Every HTTP route module this app serves, besides the status page (`GET /`) and `GET /health`.
 * To add one, write `src/routes/<name>.ts` (a default export made with `defineRoutes`) and list
 * it here. See docs/http-routes.md for body limits, validation and errors.
 */
export const routes: readonly Routes[] = [workflowNames, broadcastHook, transportHook];
