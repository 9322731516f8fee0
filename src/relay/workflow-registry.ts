import type { Registration } from './registration';
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

/**
 * A workflow file imported whole (`import * as hello from './hello'`): its default export is the
 * workflow, and its `registration` says how to register it with the `relay` CLI.
 */
export interface WorkflowModule {
  default: WorkflowHandler;
  registration?: Registration;
}

/** A registered workflow. */
export interface WorkflowEntry {
  name: string;
  handler: WorkflowHandler;
  registration?: Registration;
}

/** Names (URL paths) mapped to workflows. Registration checks its input and throws with the fix. */
export class WorkflowRegistry {
  private readonly byName = new Map<string, WorkflowEntry>();

  add(name: string, workflow: WorkflowHandler | WorkflowModule, registration?: Registration): void {
    const handler = typeof workflow === 'function' ? workflow : workflow?.default;
    registration ??= typeof workflow === 'function' ? undefined : workflow?.registration;
    if (typeof name !== 'string' || trimSlashes(name) === '') {
      throw new TypeError(
        `a workflow needs a non-empty name (its URL path, such as 'hello'), got ${JSON.stringify(name)}`,
      );
    }
    const path = trimSlashes(name);
    if (/[?#%]/.test(path)) {
      throw new TypeError(`workflow name ${JSON.stringify(name)} may not contain '?', '#' or '%': write it unencoded`);
    }
    if (typeof handler !== 'function') {
      const got =
        typeof workflow === 'object' && workflow !== null ? 'a module without a default export' : typeof workflow;
      throw new TypeError(
        `workflow ${JSON.stringify(path)} needs a function (workflow) => { ... } or a module whose default export is one, got ${got}`,
      );
    }
    if (this.byName.has(path)) {
      throw new Error(`workflow ${JSON.stringify(path)} is registered twice: give each workflow its own name`);
    }
    this.byName.set(path, { name: path, handler, registration });
  }

  /**
   * The default workflow of 2.4.0's `relay().workflow(fn)`, served at `/` (registered under the
   * name `''`). Only the 2.4.0 entry (relay-compat.ts) registers one: `add` refuses an empty name.
   */
  addDefault(handler: WorkflowHandler): void {
    if (typeof handler !== 'function') {
      throw new TypeError(`the default workflow needs a function (workflow) => { ... }, got ${typeof handler}`);
    }
    if (this.byName.has(''))
      throw new Error('a default workflow is registered twice: call workflow(fn) once, and name the others');
    this.byName.set('', { name: '', handler });
  }

  /** The workflow a request URL asks for, or undefined. */
  match(url: string): WorkflowEntry | undefined {
    const name = workflowNameFromUrl(url);
    return name === undefined ? undefined : this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Every registered workflow, in registration order. */
  entries(): WorkflowEntry[] {
    return [...this.byName.values()];
  }
}
