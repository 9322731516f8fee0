import { INSTALL_ALL } from '../registrations';
import { isRecord } from '../util';
import type { SimulatedDevice } from './device';
import { nameInUrn } from './wire';

/**
 * A workflow row the simulated cloud keeps (`POST /ibot/workflow`), read as a trigger needs it:
 * where to connect, what `get_var` serves, what triggers it and where it is installed. The row
 * came from a client, so every field is read with `Object.hasOwn` and checked; a row without a
 * readable start URI is never started.
 */
export interface RegisteredWorkflow {
  workflowId: string;
  name: string;
  /** `config.trigger.start.workflow.uri`, as registered. */
  uri: string;
  /** The phrases of `on_phrases` (or of CLI 0.2.x's single `on_phrase`), as stored. */
  phrases: string[];
  /** The row has an HTTP trigger (`on_http`). */
  http: boolean;
  /**
   * `config.trigger.start.workflow.args` as `get_var` serves them: strings as they are, numbers
   * and booleans as their JSON text (`2`, `false`); a value of another kind (a list) is not served,
   * since how Relay hands one to `get_var` is not documented. Null prototype.
   */
  args: Record<string, string>;
  install: RowInstall;
}

/** Where a row is installed: `install_rule` all devices, another `install_rule` (a group), or `install` device ids. */
export type RowInstall = { type: 'all' } | { type: 'group'; rule: string } | { type: 'devices'; ids: string[] };

/** A stored row read as {@link RegisteredWorkflow}; undefined when it has no id or no ws:// or wss:// start URI. */
export function readRegisteredRow(row: Record<string, unknown>): RegisteredWorkflow | undefined {
  const trigger = fieldOf(fieldOf(row, 'config'), 'trigger');
  const start = fieldOf(fieldOf(trigger, 'start'), 'workflow');
  const workflowId = fieldOf(row, 'workflow_id');
  const uri = fieldOf(start, 'uri');
  const protocol = typeof uri === 'string' ? URL.parse(uri)?.protocol : undefined;
  if (typeof workflowId !== 'string' || typeof uri !== 'string' || (protocol !== 'ws:' && protocol !== 'wss:'))
    return undefined;
  const name = fieldOf(row, 'name');
  const onPhrases = fieldOf(trigger, 'on_phrases');
  const onPhrase = fieldOf(trigger, 'on_phrase');
  const phrases = Array.isArray(onPhrases) ? onPhrases : onPhrase === undefined ? [] : [onPhrase];
  return {
    workflowId,
    name: typeof name === 'string' ? name : workflowId,
    uri,
    phrases: phrases.filter((phrase): phrase is string => typeof phrase === 'string'),
    http: fieldOf(trigger, 'on_http') !== undefined,
    args: argsOf(fieldOf(start, 'args')),
    install: installOf(row),
  };
}

/**
 * Whether a row is installed on `device`: `install_rule` `urn:relay-resource:all:device` is every
 * device; another `install_rule` is a group, by name or by `urn:relay-resource:name:group:<name>`
 * (the simulated account's groups, each a list of device names); `install` lists device ids.
 */
export function isInstalledOn(
  install: RowInstall,
  device: SimulatedDevice,
  groups: Readonly<Record<string, readonly string[]>>,
): boolean {
  if (install.type === 'all') return true;
  if (install.type === 'devices') return install.ids.includes(device.id);
  const group = nameInUrn(install.rule, 'group') ?? install.rule;
  return Object.hasOwn(groups, group) && (groups[group] ?? []).includes(device.name);
}

/**
 * The URL the simulated cloud connects to for a registered URI: the URI itself, except that a
 * `wss://` URI on a loopback host (localhost, 127.0.0.0/8, [::1]) is dialled as `ws://`. A
 * registration made on a laptop names `wss://localhost:<port>` (PUBLIC_URL must be https://),
 * the app's dev server speaks plain WebSocket, and real Relay could not reach a loopback host at
 * all, so nothing is hidden by the switch.
 */
export function dialUrlOf(uri: string): string {
  const url = URL.parse(uri);
  if (url === null || url.protocol !== 'wss:' || !isLoopback(url.hostname)) return uri;
  return `ws:${uri.slice('wss:'.length)}`;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function argsOf(args: unknown): Record<string, string> {
  const served = Object.create(null) as Record<string, string>;
  if (!isRecord(args)) return served;
  for (const [key, value] of Object.entries(args)) {
    if (typeof value === 'string') served[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') served[key] = JSON.stringify(value);
  }
  return served;
}

function installOf(row: Record<string, unknown>): RowInstall {
  const rule = fieldOf(row, 'install_rule');
  if (rule === INSTALL_ALL) return { type: 'all' };
  if (typeof rule === 'string' && rule !== '') return { type: 'group', rule };
  const ids = fieldOf(row, 'install');
  return { type: 'devices', ids: Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [] };
}

/** An own field of a JSON object (never one of its prototype's), else undefined. */
function fieldOf(value: unknown, key: string): unknown {
  return isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}
