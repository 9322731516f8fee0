import type { Workflow } from './workflow';
import { trimSlashes, workflowNameFromUrl } from './workflow-path';

/** A workflow: called once per session, synchronously, to register its event handlers. */
export type WorkflowHandler = (workflow: Workflow) => void;

/**
 * Identity helper, as in `@relaypro/sdk`: gives a workflow function its type.
 *
 * @example
 * export default createWorkflow((workflow) => { workflow.on(Event.START, ...) })
 */
export function createWorkflow(handler: WorkflowHandler): WorkflowHandler {
  return handler;
}

/** Names (URL paths) mapped to workflows. Registration checks its input and throws with the fix. */
export class WorkflowRegistry {
  private readonly byName = new Map<string, WorkflowHandler>();

  add(name: string, handler: WorkflowHandler): void {
    if (typeof name !== 'string' || trimSlashes(name) === '') {
      throw new TypeError(`a workflow needs a non-empty name (its URL path, such as 'hello'), got ${JSON.stringify(name)}`);
    }
    const path = trimSlashes(name);
    if (/[?#%]/.test(path)) {
      throw new TypeError(`workflow name ${JSON.stringify(name)} may not contain '?', '#' or '%': write it unencoded`);
    }
    if (typeof handler !== 'function') {
      throw new TypeError(`workflow ${JSON.stringify(path)} needs a function (workflow) => { ... }, got ${typeof handler}`);
    }
    if (this.byName.has(path)) {
      throw new Error(`workflow ${JSON.stringify(path)} is registered twice: give each workflow its own name`);
    }
    this.byName.set(path, handler);
  }

  /** The workflow a request URL asks for, or undefined. */
  match(url: string): { name: string; handler: WorkflowHandler } | undefined {
    const name = workflowNameFromUrl(url);
    const handler = name === undefined ? undefined : this.byName.get(name);
    return name === undefined || handler === undefined ? undefined : { name, handler };
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
