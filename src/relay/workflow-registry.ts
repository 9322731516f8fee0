import type { RelayApi } from '../api/relay-api';
import type { SessionBus } from '../bus/session-bus';
import type { Workflow } from './workflow';

/**
 * What starts a workflow, as Relay's workflow API holds it (one trigger per registration). The
 * types and their options are the ones the `relay` CLI's `workflow:create:<type>` commands offer.
 */
export type SuggestedTrigger =
  | {
      type: 'phrase';
      /** Spoken to the Relay Assistant: one or more phrases, registered lower-cased. */
      phrases: readonly string[];
    }
  | { type: 'button'; /** The CLI offers single and double taps. */ taps: 'single' | 'double' }
  | { type: 'http' }
  | {
      type: 'nfc';
      /** The tag category to match, if any. */ category?: string;
      /** The tag label to match. */ label?: string;
    }
  | { type: 'event'; event: 'emergency' };

/**
 * Where a workflow is installed: on every device of the account (`relay ... -A`), on a group
 * (`-G <group>`, passed to Relay as it is written), or on listed device ids (`-i <id>`).
 */
export type Install =
  { type: 'all' } | { type: 'group'; group: string } | { type: 'devices'; devices: readonly string[] };

/**
 * How a workflow is registered with Relay: declared next to its code. `npm run register` keeps
 * Relay's registrations in step with it (docs/registration.md); the status page shows it as a
 * ready-to-paste `relay workflow:create:<type>` command.
 */
export interface Registration {
  /** One sentence on what the workflow does. */
  description: string;
  trigger: SuggestedTrigger;
  /** Registration args the workflow reads with `getVar`, with their values. */
  args?: Readonly<Record<string, string | number | boolean>>;
  /** Relay's `transient` option: the workflow may run in the background. Default true, as the CLI's. */
  transient?: boolean;
  /** Relay's `hidden` option: hide the channel from the originating device. Default false. */
  hidden?: boolean;
  /** Where to install it, for this workflow only. Default: RELAY_INSTALL. */
  install?: Install;
}

/**
 * Settings a workflow may read, handed over by the runtime (workflows never read the environment):
 * only values that are no secret of the server's own.
 */
export interface WorkflowSettings {
  /** DISPATCH_WEBHOOK_URL: where the transport sample POSTs its requests. */
  readonly dispatchWebhookUrl?: string;
}

/** What the runtime hands each session's {@link Workflow} besides the session itself. */
export interface WorkflowContext {
  /** The server's session bus, behind `workflow.subscribe`. */
  readonly bus?: SessionBus;
  /** The server's Relay HTTP API client; undefined without RELAY_API_KEY and RELAY_SUBSCRIBER_ID. */
  readonly api?: RelayApi;
  readonly settings?: WorkflowSettings;
}

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
   * The default workflow of the SDK's `relay().workflow(fn)`, served at `/` (registered under the
   * name `''`). Only the SDK-compatible entry (relay-compat.ts) registers one: `add` refuses an empty name.
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

/**
 * The workflow name a request URL asks for: the path without its query string, without leading
 * and trailing slashes, with `%xx` decoded. `/hello/?x=1` → `hello`, `/hello%20world` →
 * `hello world`. Undefined when the path cannot be decoded.
 */
export function workflowNameFromUrl(url: string): string | undefined {
  try {
    return decodeURIComponent(trimSlashes(pathOf(url)));
  } catch {
    return undefined;
  }
}

/** A request URL without its query string or fragment (which may hold the token: never log them). */
export function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** How log lines name a workflow: its name, and `/` for the default workflow (registered as `''`). */
export function workflowLogName(name: string): string {
  return name === '' ? '/' : name;
}

/** `//a/b/` → `a/b`. Registered names are trimmed the same way. */
export function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
