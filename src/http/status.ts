/**
 * What the server says about itself: the snapshot it keeps in memory, and the report made from it
 * for one request, with each workflow's URL as that request reached the server and the `relay`
 * command that registers it. `GET /` and `GET /health` answer with these (fastify-app.ts); the
 * HTML page is status-page.ts; the startup log line uses the same URLs (node-server.ts).
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { AppInfo } from '../util';
import type { BusState } from '../bus/session-bus';
import type { Install, Registration, SuggestedTrigger } from '../relay/workflow-registry';
import type { WorkflowEntry } from '../relay/workflow-registry';
import type { RegistrationCheck, RegistrationState, RegistrationStatus } from './registration-status';

/** What the server knows about itself now, in memory: the status page and /health are built from this alone. */
export interface ServerSnapshot {
  app: AppInfo;
  /** From Heroku dyno metadata, when enabled. */
  release: { version: string | undefined; commit: string | undefined };
  workflows: readonly WorkflowEntry[];
  sessions: number;
  uptimeSeconds: number;
  draining: boolean;
  /** Upgrades need `?token=`; the token itself never reaches this module. */
  tokenRequired: boolean;
  /** Sessions must answer WORKFLOW_SECRET's `get_var` after start; the secret never reaches this module. */
  secretRequired: boolean;
  /** The session bus's state now. */
  bus: BusReport;
  /** What the last read of Relay's registrations found; undefined without API credentials (the page shows commands). */
  registrations: Pick<RegistrationStatus, 'current' | 'stateOf'> | undefined;
  /** RELAY_INSTALL: where the commands install a workflow whose registration names no install. */
  install: Install | undefined;
  /** The public host from PUBLIC_URL or HEROKU_APP_DEFAULT_DOMAIN_NAME; undefined when neither is set. */
  publicHost: string | undefined;
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

/** A path the HTTP side answers, with its methods (`HEAD` included where Fastify adds it for a `GET`). */
export interface RouteEntry {
  path: string;
  methods: string[];
}

export interface WorkflowReport {
  name: string;
  /** The URL to register, with `<WORKFLOW_TOKEN>` in place of the token when one is required. */
  url: string;
  description: string | null;
  trigger: SuggestedTrigger | null;
  /** A `relay workflow:create:...` line to paste, or null when the workflow declares no registration. */
  command: string | null;
  /**
   * Whether Relay's registration is in step with the code (with API credentials); null without
   * credentials, or when the workflow declares no registration.
   */
  registrationState: RegistrationState | null;
}

export type Access = 'open' | 'token' | 'secret' | 'token and secret';

/** How sessions are admitted, as the status page and the listening log line name it. */
export function accessOf(tokenRequired: boolean, secretRequired: boolean): Access {
  if (tokenRequired) return secretRequired ? 'token and secret' : 'token';
  return secretRequired ? 'secret' : 'open';
}

/** The status page's content (the JSON answer of `GET /` as is, and the HTML page's data). */
export interface StatusReport {
  app: AppInfo;
  status: 'ok' | 'draining';
  heroku: { release: string | null; commit: string | null };
  uptimeSeconds: number;
  sessions: number;
  /** What a session must show to open: nothing (`open`), `?token=`, the registered secret, or both. */
  access: Access;
  workflows: WorkflowReport[];
  /** Every plain-HTTP route (the runtime's and the app's own): its path and methods. */
  routes: RouteEntry[];
  bus: BusReport;
  /** The last read of Relay's registrations; null without API credentials. */
  registrations: RegistrationCheck | null;
  /**
   * `local` when this request reached the server at a local or private address (localhost,
   * 127.x, ::1, 10.x...), which Relay's servers cannot reach; `public` otherwise.
   */
  servedFrom: 'local' | 'public';
  /** The public host from PUBLIC_URL or HEROKU_APP_DEFAULT_DOMAIN_NAME; null when neither is set. */
  publicHost: string | null;
}

/** Builds the report for a request that reached the server as `baseUrl` (see {@link publicBaseUrl}). */
export function buildStatusReport(
  snapshot: ServerSnapshot,
  routes: readonly RouteEntry[],
  baseUrl: string,
): StatusReport {
  return {
    app: snapshot.app,
    status: snapshot.draining ? 'draining' : 'ok',
    heroku: { release: snapshot.release.version ?? null, commit: snapshot.release.commit ?? null },
    uptimeSeconds: snapshot.uptimeSeconds,
    sessions: snapshot.sessions,
    access: accessOf(snapshot.tokenRequired, snapshot.secretRequired),
    workflows: snapshot.workflows.map(({ name, registration }) => {
      const url = workflowUrl(baseUrl, name, snapshot.tokenRequired);
      return {
        name,
        url,
        description: registration?.description ?? null,
        trigger: registration?.trigger ?? null,
        command: registration === undefined ? null : relayCommand(name, url, registration, snapshot.install),
        registrationState:
          registration === undefined || snapshot.registrations === undefined
            ? null
            : snapshot.registrations.stateOf(name),
      };
    }),
    routes: routes.map(({ path, methods }) => ({ path, methods: [...methods] })),
    bus: { ...snapshot.bus },
    registrations: snapshot.registrations?.current() ?? null,
    servedFrom: isLocalAddress(URL.parse(baseUrl)?.hostname ?? '') ? 'local' : 'public',
    publicHost: snapshot.publicHost ?? null,
  };
}

/** Loopback, private, link-local and shared (carrier-grade NAT) networks: addresses Relay's servers cannot reach. */
const LOCAL_NETWORKS = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  LOCAL_NETWORKS.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  LOCAL_NETWORKS.addSubnet(network, prefix, 'ipv6');

/**
 * Whether a URL's hostname names this machine or a private network: `localhost` (and
 * `*.localhost`), or an IP address in {@link LOCAL_NETWORKS}. A DNS name counts as public.
 *
 * @example
 * isLocalAddress('127.0.0.1') // true
 * isLocalAddress('[::1]') // true
 * isLocalAddress('demo-1234.herokuapp.com') // false
 */
export function isLocalAddress(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const version = isIP(host);
  if (version === 0) return false;
  return LOCAL_NETWORKS.check(host, version === 4 ? 'ipv4' : 'ipv6');
}

/** A `Host` header we are willing to show: a DNS name or IPv4 address, or a bracketed IPv6 one, and an optional port. */
const SAFE_HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The WebSocket origin Relay should use for this server, as the person reading the page reached
 * it: `wss://` when Heroku's router says the request came over TLS (`X-Forwarded-Proto: https`),
 * `ws://` otherwise, and the request's `Host`. The `Host` header is the client's to choose, so
 * anything but a plain host[:port] is replaced by `localhost:<the port this request came in on>`.
 *
 * @example
 * publicBaseUrl(request) // 'wss://demo-1234.herokuapp.com' behind Heroku, 'ws://localhost:8080' locally
 */
export function publicBaseUrl(request: IncomingMessage): string {
  const forwarded = headerValue(request.headers['x-forwarded-proto'])?.split(',')[0]?.trim().toLowerCase();
  const scheme = forwarded === 'https' ? 'wss' : 'ws';
  const host = headerValue(request.headers.host)?.trim() ?? '';
  const shown = SAFE_HOST.test(host) ? host.toLowerCase() : `localhost:${request.socket.localPort ?? 80}`;
  return `${scheme}://${shown}`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** What a URL shows in place of the secret token: the person fills it in from `heroku config:get WORKFLOW_TOKEN`. */
export const TOKEN_PLACEHOLDER = '<WORKFLOW_TOKEN>';

/**
 * The URL to register a workflow at. When the server requires a token, the URL carries a
 * placeholder for it, never the token itself (this text goes to pages and logs).
 *
 * @example
 * workflowUrl('wss://demo.herokuapp.com', 'hello', true) // 'wss://demo.herokuapp.com/hello?token=<WORKFLOW_TOKEN>'
 */
export function workflowUrl(baseUrl: string, name: string, tokenRequired: boolean): string {
  const path = name.split('/').map(encodeURIComponent).join('/');
  return `${baseUrl}/${path}${tokenRequired ? `?token=${TOKEN_PLACEHOLDER}` : ''}`;
}

/** Where the person puts the id of the device (or user) to install on, when RELAY_INSTALL is unset. */
export const DEVICE_PLACEHOLDER = '<device id>';

/**
 * The `relay` CLI 1.x command that registers a workflow as its `registration` says, as argv words
 * after `relay`: `--name`, `--uri`, the trigger (`--trigger` once per phrase, `single|double`,
 * `POST` or `emergency`; `--category` / `--label` for nfc), one `--arg k=v` / `--boolean k=true` /
 * `--number k=5` per arg, `--no-transient` and `--hidden` when they differ from the CLI's defaults,
 * and where to install it: `-A` (all), `-G <group>`, or `-i <device id>` per device, from the
 * registration's own install, else `install` (RELAY_INSTALL), else a placeholder.
 */
function relayCommandWords(
  name: string,
  uri: string,
  registration: Registration,
  install: Install | undefined,
): string[] {
  const { trigger } = registration;
  const words = [`workflow:create:${trigger.type}`, '--name', name, '--uri', uri];
  switch (trigger.type) {
    case 'phrase':
      for (const phrase of trigger.phrases) words.push('--trigger', phrase);
      break;
    case 'button':
      words.push('--trigger', trigger.taps);
      break;
    case 'http':
      words.push('--trigger', 'POST');
      break;
    case 'event':
      words.push('--trigger', trigger.event);
      break;
    case 'nfc':
      if (trigger.category !== undefined) words.push('--category', trigger.category);
      if (trigger.label !== undefined) words.push('--label', trigger.label);
      break;
  }
  for (const [key, value] of Object.entries(registration.args ?? {})) {
    const flag = typeof value === 'boolean' ? '--boolean' : typeof value === 'number' ? '--number' : '--arg';
    words.push(flag, `${key}=${String(value)}`);
  }
  if (registration.transient === false) words.push('--no-transient');
  if (registration.hidden === true) words.push('--hidden');
  const where = registration.install ?? install;
  if (where === undefined) words.push('-i', DEVICE_PLACEHOLDER);
  else if (where.type === 'all') words.push('-A');
  else if (where.type === 'group') words.push('-G', where.group);
  else for (const device of where.devices) words.push('-i', device);
  return words;
}

/**
 * The same command as one line to paste into a POSIX shell: words with anything but safe
 * characters are single-quoted, so `?token=...` and the placeholders survive the shell.
 *
 * @example
 * relayCommand('hello', 'wss://demo.herokuapp.com/hello', registration)
 * // "relay workflow:create:phrase --name hello --uri wss://demo.herokuapp.com/hello --trigger hello --arg greeting=Hello -i '<device id>'"
 */
export function relayCommand(
  name: string,
  uri: string,
  registration: Registration,
  install: Install | undefined = undefined,
): string {
  return ['relay', ...relayCommandWords(name, uri, registration, install)].map(shellQuote).join(' ');
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
