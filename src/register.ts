/**
 * `npm run register [-- --dry-run] [--json] [--keep]`: brings Relay's workflow registrations for
 * RELAY_SUBSCRIBER_ID in step with the `registration` of each workflow in src/workflows/index.ts,
 * and says what it did. Exit codes: 0 planned or applied, 1 Relay failed (a rerun finishes the
 * job), 2 cannot start (a setting or a registration to fix). `--release` is the Procfile's release
 * phase: it exits 0 without credentials or with RELAY_REGISTER_ON_RELEASE=off, and with `warn`
 * also when registering failed. docs/registration.md has the rules.
 * `main` runs only when this file is the entry.
 */
import { RelayApiError } from './api/errors';
import { relayApiFromConfig, type RelayApiOptions } from './api/relay-api';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger, type Logger } from './logger';
import {
  applyPlan,
  describeApplied,
  describePlan,
  desiredRegistrations,
  planRegistrations,
  planSummary,
  registrationSecretsOf,
  registrationTargetOf,
  RegistrationError,
  hideToken,
  type DesiredRegistration,
} from './registrations';
import type { WorkflowHandler, WorkflowModule } from './relay/workflow-registry';
import { workflows } from './workflows';

const USAGE = 'usage: npm run register [-- --dry-run] [--json] [--keep] [--release]';

/** The flags of one run. */
export interface RegisterFlags {
  /** Print the plan, change nothing. */
  dryRun: boolean;
  /** One JSON object on stdout instead of the plan's lines. */
  json: boolean;
  /** Keep this host's rows that no workflow serves any more, instead of deleting them. */
  keep: boolean;
  /**
   * Run as Heroku's release phase: without credentials, or with RELAY_REGISTER_ON_RELEASE=off,
   * say so in one line and exit 0; with `warn`, a failure is logged and the exit code is 0.
   */
  release: boolean;
}

export interface RegisterOptions {
  argv: readonly string[];
  workflows: Readonly<Record<string, WorkflowHandler | WorkflowModule>>;
  /** The config, or how to read it (a ConfigError exits 2). Default: loadConfig(). */
  config?: Config | (() => Config);
  /** Each line of output (the plan, what was done). */
  out: (line: string) => void;
  /** Each line about a failure. */
  err: (line: string) => void;
  /** Where the API client logs retries (never a token). Default: LOG_LEVEL's lines on stderr. */
  logger?: Logger;
  /** For tests: fetch, timeouts. */
  api?: Partial<RelayApiOptions>;
}

/**
 * One run of `npm run register`, resolving with its exit code. Every line goes through one
 * filter that replaces RELAY_API_KEY, WORKFLOW_TOKEN and WORKFLOW_SECRET (and its previous value)
 * with `…`, so none can reach the output even if Relay echoes one back.
 */
export async function runRegister({
  argv,
  workflows,
  config,
  out,
  err,
  logger,
  api,
}: RegisterOptions): Promise<number> {
  let secrets: string[] = [];
  const hide = (line: string) => secrets.reduce((text, secret) => text.replaceAll(secret, '…'), hideToken(line));
  const print = (line: string) => out(hide(line));
  const fail = (line: string) => err(hide(`register: ${line}`));

  let flags: RegisterFlags;
  let settings: Config;
  try {
    flags = parseFlags(argv);
    settings = typeof config === 'function' ? config() : (config ?? loadConfig());
  } catch (error) {
    fail(error instanceof ConfigError ? `configuration error: ${error.message}` : (error as Error).message);
    return 2;
  }
  secrets = registrationSecretsOf(settings);
  if (flags.release && settings.registerOnRelease === 'off') {
    print(
      'register --release: RELAY_REGISTER_ON_RELEASE=off, so Relay was not called; heroku run npm run register registers by hand',
    );
    return 0;
  }
  if (flags.release && settings.relayApiKey === undefined) {
    print(
      'register --release: no Relay API credentials, so registrations were left alone; set RELAY_API_KEY and RELAY_SUBSCRIBER_ID (and RELAY_INSTALL) to register the workflows on every deploy',
    );
    return 0;
  }
  const code = await register(flags, settings, { workflows, print, fail, logger, api });
  if (!flags.release || code === 0) return code;
  if (settings.registerOnRelease === 'warn') {
    fail(
      'RELAY_REGISTER_ON_RELEASE=warn: the release goes live anyway; Relay may differ from the code until a register run succeeds',
    );
    return 0;
  }
  fail(
    'the release fails and Heroku keeps the previous one running: fix the above and deploy again (heroku releases:retry), or set RELAY_REGISTER_ON_RELEASE=warn to let releases go live anyway',
  );
  return code;
}

/** The plain command once flags and config are read: plan, print, apply. Resolves with the exit code. */
async function register(
  flags: RegisterFlags,
  settings: Config,
  {
    workflows,
    print,
    fail,
    logger,
    api,
  }: Pick<RegisterOptions, 'workflows' | 'logger' | 'api'> & {
    print: (line: string) => void;
    fail: (line: string) => void;
  },
): Promise<number> {
  const { publicHost, ...target } = registrationTargetOf(settings);
  const client = relayApiFromConfig(
    settings,
    logger ?? createLogger({ level: settings.logLevel, destination: process.stderr }),
    api,
  );
  if (client === undefined) {
    fail(
      'set RELAY_API_KEY (a refresh token from "relay token:generate") and RELAY_SUBSCRIBER_ID: registering needs Relay API credentials',
    );
    return 2;
  }
  if (publicHost === undefined) {
    fail(
      "set PUBLIC_URL to the app's https:// URL, or turn on dyno metadata (heroku labs:enable runtime-dyno-metadata) for HEROKU_APP_DEFAULT_DOMAIN_NAME: registering needs the app's public host",
    );
    return 2;
  }
  let desired: DesiredRegistration[];
  try {
    desired = desiredRegistrations(workflows, { ...target, publicHost });
  } catch (error) {
    if (!(error instanceof RegistrationError)) throw error;
    fail(error.message);
    return 2;
  }

  let plan;
  try {
    plan = planRegistrations({ rows: await client.listWorkflows(), desired, publicHost, keep: flags.keep });
  } catch (error) {
    fail(`${failureLine(error)}; nothing was changed`);
    return 1;
  }
  const summary = planSummary(plan);
  const changes = summary.create.length + summary.update.length + summary.delete.length;
  if (flags.json) print(JSON.stringify(summary));
  else {
    print(`Relay registrations on wss://${publicHost} for subscriber ${settings.relaySubscriberId ?? ''}:`);
    for (const line of describePlan(plan)) print(`  ${line}`);
  }
  if (flags.dryRun || changes === 0) {
    if (!flags.json)
      print(changes === 0 ? 'nothing to do: Relay is in step with the code' : 'dry run: nothing was changed');
    return 0;
  }
  const result = await applyPlan(plan, client, (done) => {
    if (!flags.json) print(describeApplied(done));
  });
  if (result.failure === undefined) {
    if (!flags.json) print(`done: ${changes} change${changes === 1 ? '' : 's'} applied`);
    return 0;
  }
  fail(failureLine(result.failure.error));
  fail(
    result.applied.length === 0
      ? 'nothing was applied before it'
      : `applied before it: ${result.applied.map(describeApplied).join('; ')}`,
  );
  fail('run npm run register again to finish: it plans from what Relay holds now');
  return 1;
}

function parseFlags(argv: readonly string[]): RegisterFlags {
  const flags: RegisterFlags = { dryRun: false, json: false, keep: false, release: false };
  for (const arg of argv) {
    if (arg === '--dry-run') flags.dryRun = true;
    else if (arg === '--json') flags.json = true;
    else if (arg === '--keep') flags.keep = true;
    else if (arg === '--release') flags.release = true;
    else throw new Error(`unknown argument ${JSON.stringify(arg.slice(0, 40))}; ${USAGE}`);
  }
  return flags;
}

/** A Relay failure as one line: the call, the status and Relay's message (RelayApiError's message holds all three). */
function failureLine(error: unknown): string {
  if (error instanceof RelayApiError) return error.message;
  return `unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
}

function main(): Promise<number> {
  return runRegister({
    argv: process.argv.slice(2),
    workflows,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}

if (require.main === module) void main().then((code) => (process.exitCode = code));
