import type { AppInfo } from '../util';
import type { BusState } from '../bus/session-bus';
import type { SuggestedTrigger, WorkflowEntry } from '../relay/workflow-registry';
import { relayCommand } from './relay-command';
import type { RouteEntry } from './route-list';
import { workflowUrl } from './workflow-url';

/** What the server knows about itself, in memory: the status page is built from this alone. */
export interface HttpStatus {
  app: AppInfo;
  /** From Heroku dyno metadata, when enabled. */
  release: { version: string | undefined; commit: string | undefined };
  workflows: readonly WorkflowEntry[];
  sessions: number;
  uptimeSeconds: number;
  draining: boolean;
  /** Upgrades need `?token=`; the token itself never reaches this module. */
  tokenRequired: boolean;
  /** Every plain-HTTP route served (the runtime's and the app's own). */
  routes: readonly RouteEntry[];
  /** The session bus's state now. */
  bus: BusReport;
}

/**
 * The session bus as /health and the status page show it: `in-process` (state `embedded`, always
 * up) or `redis` (`connecting`, `ready`, `reconnecting` or `down`). While Redis is not `ready`,
 * sessions go on but webhooks that publish answer 503.
 */
export interface BusReport {
  kind: 'in-process' | 'redis';
  state: BusState;
}

/** The report of a bus from its state: only the in-process bus is `embedded`. */
export function busReport(state: BusState): BusReport {
  return { kind: state === 'embedded' ? 'in-process' : 'redis', state };
}

export interface WorkflowReport {
  name: string;
  /** The URL to register, with `<WORKFLOW_TOKEN>` in place of the token when one is required. */
  url: string;
  description: string | null;
  trigger: SuggestedTrigger | null;
  /** A `relay workflow:create:...` line to paste, or null when the workflow declares no registration. */
  command: string | null;
}

/** The status page's content (the JSON answer of `GET /` as is, and the HTML page's data). */
export interface StatusReport {
  app: AppInfo;
  status: 'ok' | 'draining';
  heroku: { release: string | null; commit: string | null };
  uptimeSeconds: number;
  sessions: number;
  access: 'open' | 'token';
  workflows: WorkflowReport[];
  /** Every plain-HTTP route: its path and methods. */
  routes: RouteEntry[];
  bus: BusReport;
}

/** Builds the report for a request that reached the server as `baseUrl` (see `publicBaseUrl`). */
export function buildStatusReport(status: HttpStatus, baseUrl: string): StatusReport {
  return {
    app: status.app,
    status: status.draining ? 'draining' : 'ok',
    heroku: { release: status.release.version ?? null, commit: status.release.commit ?? null },
    uptimeSeconds: status.uptimeSeconds,
    sessions: status.sessions,
    access: status.tokenRequired ? 'token' : 'open',
    workflows: status.workflows.map(({ name, registration }) => {
      const url = workflowUrl(baseUrl, name, status.tokenRequired);
      return {
        name,
        url,
        description: registration?.description ?? null,
        trigger: registration?.trigger ?? null,
        command: registration === undefined ? null : relayCommand(name, url, registration),
      };
    }),
    routes: status.routes.map(({ path, methods }) => ({ path, methods: [...methods] })),
    bus: { ...status.bus },
  };
}
