import { defineRoutes } from '../http/define-routes';

/**
 * `GET /api/workflows`: the names of the workflows this server serves, as JSON. A sample route
 * module: copy this file to start your own, then list it in src/routes/index.ts.
 *
 * @example
 * // curl https://<app>.herokuapp.com/api/workflows
 * // {"workflows":["hello","panic","broadcast"]}
 */
export default defineRoutes((app, { workflowNames }) => {
  app.get('/api/workflows', () => ({ workflows: workflowNames() }));
});
