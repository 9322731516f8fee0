import type { WorkflowModule } from '../relay/workflow-registry';
import * as broadcast from './broadcast';
import * as hello from './hello';
import * as panic from './panic';
import * as transport from './transport';

/**
 * Every workflow this app serves, by name. The name is the URL path: `hello` is served at
 * `wss://<app host>/hello`. To add one, write `src/workflows/<name>.ts` (a default export and a
 * `registration`) and list it here.
 */
export const workflows: Readonly<Record<string, WorkflowModule>> = {
  hello,
  panic,
  broadcast,
  transport,
};
