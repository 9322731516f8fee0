import type { WorkflowHandler } from '../relay/workflow-registry';
import hello from './hello';

/**
 * Every workflow this app serves, by name. The name is the URL path: `hello` is served at
 * `wss://<app host>/hello`. To add one, write `src/workflows/<name>.ts` and list it here.
 */
export const workflows: Readonly<Record<string, WorkflowHandler>> = {
  hello,
};
