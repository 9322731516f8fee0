/**
 * Registrations as code: each workflow's `registration` as the row Relay's workflow API holds, and
 * the plan that brings Relay's rows in step with the app (create, update, unchanged, delete).
 * Pure functions over Relay's rows and the app's workflows, then `applyPlan`; `npm run register`
 * (register.ts) is the command around them. The rules are in docs/registration.md.
 */
import { RELAY_LIMITS, type JsonValue, type RelayApi, type WorkflowRow, type WorkflowRowInput } from './api/relay-api';
import { RelayApiError } from './api/errors';
import type { Config } from './config';
import { workflowUrl } from './http/status';
import {
  trimSlashes,
  workflowNameFromUrl,
  type Install,
  type Registration,
  type SuggestedTrigger,
  type WorkflowHandler,
  type WorkflowModule,
} from './relay/workflow-registry';
import { SECRET_ARG } from './relay/secret-check';
import { isRecord } from './util';

/** Relay's install rule for every device of the account (`relay workflow:create -A`). */
export const INSTALL_ALL = 'urn:relay-resource:all:device';

/** Where this app's workflows are registered, from config. */
export interface RegistrationTarget {
  /** The app's public host (`host[:port]`): a row is this app's when its URI names it. */
  publicHost: string;
  /** WORKFLOW_TOKEN: when set, each URI ends with `?token=<it>`. */
  workflowToken: string | undefined;
  /** WORKFLOW_SECRET: when set, each row's args carry it as `workflow_secret` (never shown in output). */
  workflowSecret?: string;
  /** RELAY_INSTALL: where a workflow whose registration names no install goes. */
  install: Install | undefined;
}

/** A registration that cannot be made as declared (a missing install, an empty phrase): the fix is in the code or config. */
export class RegistrationError extends Error {
  readonly code = 'ERR_REGISTRATION';
  constructor(message: string) {
    super(message);
    this.name = 'RegistrationError';
  }
}

/**
 * The public host from config: PUBLIC_URL's, else HEROKU_APP_DEFAULT_DOMAIN_NAME; undefined when
 * neither is set.
 */
export function publicHostOf(config: Pick<Config, 'publicUrl' | 'herokuAppDomain'>): string | undefined {
  if (config.publicUrl !== undefined) return URL.parse(config.publicUrl)?.host;
  return config.herokuAppDomain;
}

/** Where registrations go, from config; `publicHost` is undefined when neither PUBLIC_URL nor dyno metadata gives one. */
export function registrationTargetOf(
  config: Pick<Config, 'publicUrl' | 'herokuAppDomain' | 'workflowToken' | 'workflowSecret' | 'relayInstall'>,
): Omit<RegistrationTarget, 'publicHost'> & { publicHost: string | undefined } {
  return {
    publicHost: publicHostOf(config),
    workflowToken: config.workflowToken,
    workflowSecret: config.workflowSecret,
    install: config.relayInstall,
  };
}

/** The config values that never appear in what registering prints or logs (API key, token, secrets). */
export function registrationSecretsOf(
  config: Pick<Config, 'relayApiKey' | 'workflowToken' | 'workflowSecret' | 'workflowSecretPrevious'>,
): string[] {
  return [config.relayApiKey, config.workflowToken, config.workflowSecret, config.workflowSecretPrevious].filter(
    (secret) => secret !== undefined,
  );
}

/** An app workflow and the row it should have at Relay; `row` is undefined when it declares no registration. */
export interface DesiredRegistration {
  name: string;
  row: WorkflowRowInput | undefined;
}

/**
 * The row each workflow should have at Relay, in the order of `workflows`. Throws
 * {@link RegistrationError} naming the workflow and the fix when a registration cannot be made.
 */
export function desiredRegistrations(
  workflows: Readonly<Record<string, WorkflowHandler | WorkflowModule>>,
  target: RegistrationTarget,
): DesiredRegistration[] {
  return Object.entries(workflows).map(([key, workflow]) => {
    const name = trimSlashes(key);
    const registration = typeof workflow === 'function' ? undefined : workflow.registration;
    return { name, row: registration === undefined ? undefined : desiredRow(name, registration, target) };
  });
}

/**
 * A workflow's row as the `relay` CLI 1.x writes it: name, options, the start URI with its args,
 * one trigger, and `install` (device ids) or `install_rule` (all, or a group).
 */
export function desiredRow(name: string, registration: Registration, target: RegistrationTarget): WorkflowRowInput {
  const problem = (what: string): never => {
    throw new RegistrationError(`workflow ${JSON.stringify(name)}: ${what}`);
  };
  if (name === '' || name.length > RELAY_LIMITS.maxIdChars)
    problem(`a name of 1 to ${RELAY_LIMITS.maxIdChars} characters is needed`);
  const install = registration.install ?? target.install;
  if (install === undefined)
    return problem(
      'no install: set RELAY_INSTALL (all, group:<group> or comma-separated device ids), or give its registration an install',
    );
  const uri =
    workflowUrl(`wss://${target.publicHost}`, name, false) +
    (target.workflowToken === undefined ? '' : `?token=${encodeURIComponent(target.workflowToken)}`);
  const trigger: Record<string, JsonValue> = {
    start: { workflow: { uri, args: argsOf(registration.args, target.workflowSecret, problem) } },
    ...triggerOf(registration.trigger, problem),
  };
  return {
    name,
    options: { transient: registration.transient ?? true, hidden: registration.hidden ?? false },
    config: { trigger },
    ...installOf(install, problem),
  };
}

/** The registration's args, checked, with WORKFLOW_SECRET as the reserved `workflow_secret` when it is set. */
function argsOf(
  args: Registration['args'],
  workflowSecret: string | undefined,
  problem: (what: string) => never,
): { [key: string]: string | number | boolean } {
  const entries = Object.entries(args ?? {});
  if (entries.some(([key]) => key === SECRET_ARG))
    problem(
      `the arg ${SECRET_ARG} is reserved for WORKFLOW_SECRET (set by npm run register): give the arg another name`,
    );
  if (workflowSecret !== undefined) entries.push([SECRET_ARG, workflowSecret]);
  if (entries.length > RELAY_LIMITS.maxArgs) problem(`at most ${RELAY_LIMITS.maxArgs} args`);
  for (const [key, value] of entries) {
    const ok =
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (typeof value === 'string' && value.length <= RELAY_LIMITS.maxArgChars);
    if (key === '' || !ok)
      problem(`arg ${JSON.stringify(key.slice(0, 40))} must be a string, a finite number or a boolean`);
  }
  return Object.fromEntries(entries);
}

/** The trigger key and value of a row's `config.trigger`, as the CLI writes them. */
function triggerOf(trigger: SuggestedTrigger, problem: (what: string) => never): Record<string, JsonValue> {
  switch (trigger.type) {
    case 'phrase': {
      const phrases = trigger.phrases.map((phrase) => String(phrase).trim().toLowerCase());
      if (phrases.length === 0 || phrases.some((phrase) => phrase === '' || phrase.length > 256))
        problem('a phrase trigger needs one or more phrases of 1 to 256 characters');
      return { on_phrases: [...new Set(phrases)] };
    }
    case 'button':
      return { on_button: `action_button_${trigger.taps}_tap` };
    case 'http':
      return { on_http: 'POST' };
    case 'event':
      return { on_device_event: trigger.event };
    case 'nfc': {
      const onNfc: Record<string, string> = { type: 'custom' };
      if (trigger.category !== undefined) onNfc.category = trigger.category;
      if (trigger.label !== undefined) onNfc.label = trigger.label;
      return { on_nfc: onNfc };
    }
    default:
      return problem(`unknown trigger type ${JSON.stringify((trigger as { type: unknown }).type)}`);
  }
}

function installOf(install: Install, problem: (what: string) => never): Record<string, JsonValue> {
  switch (install.type) {
    case 'all':
      return { install_rule: INSTALL_ALL };
    case 'group':
      if (install.group.trim() === '') problem('an install group must not be empty');
      return { install_rule: install.group };
    case 'devices':
      if (install.devices.some((id) => id === '' || id.length > RELAY_LIMITS.maxIdChars))
        problem(`each install device id must have 1 to ${RELAY_LIMITS.maxIdChars} characters`);
      return { install: [...new Set(install.devices)] };
  }
}

/** One line of the plan. `name` is the name as registered (a foreign-looking name is cleaned for printing). */
export type PlanStep =
  | { action: 'create'; name: string; row: WorkflowRowInput }
  | { action: 'update'; name: string; workflowId: string; row: WorkflowRowInput; differs: string[] }
  | { action: 'unchanged'; name: string; workflowId: string }
  | { action: 'delete'; name: string; workflowId: string; path: string; duplicate: boolean }
  | { action: 'keep'; name: string; workflowId: string; path: string; duplicate: boolean }
  | { action: 'skip'; name: string };

export interface Plan {
  steps: PlanStep[];
  /** Rows of other hosts (or without a readable URI): counted, never changed. */
  foreign: number;
}

/**
 * Compares Relay's rows with the app's desired ones. A row is this app's when its start URI's host
 * is `publicHost`; rows are matched to workflows by URI path. The first row of a workflow's path
 * is updated when any managed field differs; another row of this host (a path no workflow serves,
 * or a second row of one path) is deleted, or kept with `keep`. Workflows that declare no
 * registration are skipped and their rows left alone.
 */
export function planRegistrations({
  rows,
  desired,
  publicHost,
  keep = false,
}: {
  rows: readonly WorkflowRow[];
  desired: readonly DesiredRegistration[];
  publicHost: string;
  keep?: boolean;
}): Plan {
  const host = publicHost.toLowerCase();
  const ours = new Map<string, WorkflowRow[]>();
  let foreign = 0;
  for (const row of rows) {
    const path = pathOnHost(uriOf(row), host);
    if (path === undefined) foreign += 1;
    else ours.set(path, [...(ours.get(path) ?? []), row]);
  }
  const steps: PlanStep[] = [];
  /** Rows to delete (or keep): [path, row, whether a workflow serves the path and this row is a second one]. */
  const leftOver: Array<[string, WorkflowRow, boolean]> = [];
  for (const { name, row } of desired) {
    const [first, ...extra] = ours.get(name) ?? [];
    ours.delete(name);
    if (row === undefined) {
      steps.push({ action: 'skip', name });
      continue;
    }
    if (first === undefined) steps.push({ action: 'create', name, row });
    else {
      const differs = differences(first, row);
      const workflowId = first.workflow_id;
      steps.push(
        differs.length === 0
          ? { action: 'unchanged', name, workflowId }
          : { action: 'update', name, workflowId, differs, row: updatedRow(first, row) },
      );
    }
    for (const duplicate of extra) leftOver.push([name, duplicate, true]);
  }
  for (const [path, pathRows] of ours) for (const row of pathRows) leftOver.push([path, row, false]);
  for (const [path, row, duplicate] of leftOver) {
    const name = printable(typeof row.name === 'string' ? row.name : path);
    steps.push({
      action: keep ? 'keep' : 'delete',
      name,
      workflowId: row.workflow_id,
      path: printable(path),
      duplicate,
    });
  }
  return { steps, foreign };
}

/** The managed fields that differ between Relay's row and the desired one, in a fixed order. */
export function differences(row: WorkflowRow, desired: WorkflowRowInput): string[] {
  const now = readRow(row);
  const want = readRow(desired);
  const fields: Array<[string, unknown, unknown]> = [
    ['name', now.name, want.name],
    ['uri', now.uri, want.uri],
    ['trigger', now.trigger, want.trigger],
    ['args', withoutSecret(now.args), withoutSecret(want.args)],
    [SECRET_ARG, secretOf(now.args), secretOf(want.args)],
    ['transient', now.transient, want.transient],
    ['hidden', now.hidden, want.hidden],
    ['install', now.install, want.install],
  ];
  return fields.filter(([, a, b]) => canonical(a) !== canonical(b)).map(([field]) => field);
}

/** Args without the reserved `workflow_secret`, which {@link differences} compares (and names) on its own. */
function withoutSecret(args: unknown): unknown {
  if (!isRecord(args) || !Object.hasOwn(args, SECRET_ARG)) return args;
  const { [SECRET_ARG]: _secret, ...rest } = args;
  return rest;
}

/** The `workflow_secret` arg of a row's args, or undefined. */
function secretOf(args: unknown): unknown {
  return isRecord(args) && Object.hasOwn(args, SECRET_ARG) ? args[SECRET_ARG] : undefined;
}

/** The managed fields of a row, normalized for comparison (defaults filled in, sets sorted). */
function readRow(row: WorkflowRowInput): Record<string, unknown> {
  const config = fieldOf(row, 'config');
  const trigger = fieldOf(config, 'trigger');
  const start = fieldOf(fieldOf(trigger, 'start'), 'workflow');
  const options = fieldOf(row, 'options');
  const triggers = new Map<string, unknown>();
  if (isRecord(trigger)) {
    for (const [key, value] of Object.entries(trigger)) if (key !== 'start') triggers.set(key, value);
  }
  // CLI 0.2.x wrote one phrase as on_phrase; it reads as a list of one.
  const phrase = triggers.get('on_phrase');
  if (!triggers.has('on_phrases') && typeof phrase === 'string') triggers.set('on_phrases', [phrase]);
  triggers.delete('on_phrase');
  const phrases = triggers.get('on_phrases');
  if (Array.isArray(phrases)) triggers.set('on_phrases', (phrases as unknown[]).map(String).sort());
  const rule = fieldOf(row, 'install_rule');
  const devices = fieldOf(row, 'install');
  return {
    name: fieldOf(row, 'name'),
    uri: fieldOf(start, 'uri'),
    trigger: Object.fromEntries(triggers),
    args: fieldOf(start, 'args') ?? {},
    transient: fieldOf(options, 'transient') ?? true,
    hidden: fieldOf(options, 'hidden') ?? false,
    install:
      typeof rule === 'string' && rule !== ''
        ? { rule }
        : { devices: Array.isArray(devices) ? (devices as unknown[]).map(String).sort() : [] },
  };
}

/**
 * The row to POST for an update: Relay's row as it is (fields this app does not manage, such as
 * `absorb_triggers`, stay), with the desired name, options, trigger and install, and its workflow_id.
 */
function updatedRow(row: WorkflowRow, desired: WorkflowRowInput): WorkflowRowInput {
  // No prototype: a key such as `__proto__` from Relay stays a plain key.
  const rest = Object.create(null) as Record<string, JsonValue>;
  for (const [key, value] of Object.entries(row)) if (key !== 'install' && key !== 'install_rule') rest[key] = value;
  const options = fieldOf(row, 'options');
  const config = fieldOf(row, 'config');
  return {
    ...rest,
    ...desired,
    options: { ...(isRecord(options) ? (options as Record<string, JsonValue>) : {}), ...asJsonObject(desired.options) },
    config: { ...(isRecord(config) ? (config as Record<string, JsonValue>) : {}), ...asJsonObject(desired.config) },
    workflow_id: row.workflow_id,
  };
}

function asJsonObject(value: JsonValue | undefined): Record<string, JsonValue> {
  return isRecord(value) ? value : {};
}

/** A row's start URI, or undefined. */
function uriOf(row: WorkflowRowInput): string | undefined {
  const uri = fieldOf(fieldOf(fieldOf(fieldOf(fieldOf(row, 'config'), 'trigger'), 'start'), 'workflow'), 'uri');
  return typeof uri === 'string' ? uri : undefined;
}

/** The workflow name a URI's path asks for when its host is `host`; undefined for another host or an unreadable URI. */
function pathOnHost(uri: string | undefined, host: string): string | undefined {
  const url = uri === undefined ? null : URL.parse(uri);
  if (url === null || url.host.toLowerCase() !== host) return undefined;
  return workflowNameFromUrl(url.pathname);
}

/** An own field of a JSON object (never one of its prototype's), else undefined. */
function fieldOf(value: unknown, key: string): unknown {
  return isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

/** JSON with object keys sorted, so that key order never counts as a difference. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    isRecord(item)
      ? Object.fromEntries(
          Object.keys(item)
            .sort()
            .map((key) => [key, item[key]]),
        )
      : item,
  );
}

/** A name from Relay fit for one line of output: control characters dropped, at most 100 characters. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}

/** The plan as `--json` prints it: names as registered, and the count of foreign rows. */
export function planSummary(plan: Plan): {
  create: string[];
  update: string[];
  unchanged: string[];
  delete: string[];
  foreign: number;
} {
  const names = (action: PlanStep['action']) =>
    plan.steps.filter((step) => step.action === action).map((step) => step.name);
  return {
    create: names('create'),
    update: names('update'),
    unchanged: names('unchanged'),
    delete: names('delete'),
    foreign: plan.foreign,
  };
}

/** `?token=…` (or `&token=…`) in place of the token's value: URIs are shown this way, never with the secret. */
export function hideToken(uri: string): string {
  return uri.replace(/([?&]token=)[^&#\s"']*/g, '$1…');
}

/** The plan, a line per workflow (and one for the foreign rows), as `npm run register` prints it. */
export function describePlan(plan: Plan): string[] {
  const lines = plan.steps.map((step) => {
    const name = step.name === '' ? '(default)' : step.name;
    switch (step.action) {
      case 'create':
        return `create     ${name} at ${hideToken(uriOf(step.row) ?? '?')}`;
      case 'update':
        return `update     ${name}: ${step.differs.map(shownField).join(', ')} differ${step.differs.length === 1 ? 's' : ''}`;
      case 'unchanged':
        return `unchanged  ${name}`;
      case 'delete':
        return `delete     ${name} (${step.workflowId}): ${whyLeftOver(step)}`;
      case 'keep':
        return `keep       ${name} (${step.workflowId}): ${whyLeftOver(step)}, kept as --keep asks`;
      case 'skip':
        return `skip       ${name}: it declares no registration (rows of its path are left as they are)`;
    }
  });
  if (plan.foreign > 0)
    lines.push(
      `foreign    ${plan.foreign} registration${plan.foreign === 1 ? '' : 's'} of other hosts, left as they are`,
    );
  return lines;
}

/** A field name as the plan prints it: a changed secret shows as such, never its value. */
function shownField(field: string): string {
  return field === SECRET_ARG ? `${SECRET_ARG} (value hidden)` : field;
}

/** A step done: what it did, with the id Relay gave a created row when it said. */
export interface AppliedStep {
  step: PlanStep;
  workflowId: string | undefined;
}

export interface ApplyResult {
  applied: AppliedStep[];
  /** The step that failed and why; the steps after it were not tried. */
  failure?: { step: PlanStep; error: unknown };
}

/**
 * Applies the plan's creates, updates and deletes in order, stopping at the first failure. A
 * delete Relay answers 404 to counts as done (the row is gone either way). Since a run plans from
 * what Relay holds, running again after a failure finishes the job.
 */
export async function applyPlan(
  plan: Plan,
  api: Pick<RelayApi, 'saveWorkflow' | 'deleteWorkflow'>,
  onApplied: (done: AppliedStep) => void = () => undefined,
): Promise<ApplyResult> {
  const applied: AppliedStep[] = [];
  for (const step of plan.steps) {
    let workflowId: string | undefined;
    try {
      if (step.action === 'create') workflowId = (await api.saveWorkflow(step.row))?.workflow_id;
      else if (step.action === 'update')
        workflowId = (await api.saveWorkflow(step.row))?.workflow_id ?? step.workflowId;
      else if (step.action === 'delete') {
        workflowId = step.workflowId;
        await api.deleteWorkflow(step.workflowId).catch((error: unknown) => {
          if (!(error instanceof RelayApiError && error.status === 404)) throw error;
        });
      } else continue;
    } catch (error) {
      return { applied, failure: { step, error } };
    }
    const done = { step, workflowId };
    applied.push(done);
    onApplied(done);
  }
  return { applied };
}

/** One line for a step done: `created hello (wf_hello_x1y2)`. */
export function describeApplied({ step, workflowId }: AppliedStep): string {
  const verb = { create: 'created', update: 'updated', delete: 'deleted' }[
    step.action as 'create' | 'update' | 'delete'
  ];
  return `${verb} ${step.name}${workflowId === undefined ? '' : ` (${workflowId})`}`;
}

/** Why a row of this host is left over: nothing serves its path, or it is a second row of a served path. */
function whyLeftOver(step: { path: string; duplicate: boolean }): string {
  return step.duplicate
    ? `a second registration of /${step.path}, which another row already serves`
    : `no workflow serves /${step.path}`;
}
