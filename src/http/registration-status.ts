/**
 * The registration state the status page shows when the server has Relay API credentials: for
 * each workflow, whether Relay's row is in step with its `registration`, differs (and in which
 * fields), or is missing. A background refresher reads Relay at most once per interval (a minute)
 * and keeps the answer in memory; a page load only reads that memory, so it never waits on Relay.
 * The comparison is `npm run register`'s plan (registrations.ts), so the page and the command agree.
 */
import { RelayApiError } from '../api/errors';
import type { RelayApi } from '../api/relay-api';
import type { Logger } from '../logger';
import {
  desiredRow,
  hideToken,
  planRegistrations,
  RegistrationError,
  type DesiredRegistration,
  type RegistrationTarget,
} from '../registrations';
import type { WorkflowEntry } from '../relay/workflow-registry';

/** One workflow's registration at Relay, as the page and the JSON report show it. */
export type RegistrationState =
  /** Relay has not been read yet. */
  | { state: 'checking' }
  /** Relay's row matches the code. */
  | { state: 'in-step' }
  /** Relay's row differs in these fields (those `npm run register` would update). */
  | { state: 'differs'; fields: string[] }
  /** No row of this app's host serves the workflow's path. */
  | { state: 'not-registered' }
  /** The registration cannot be made as declared (no install, an empty phrase): the fix is in code or config. */
  | { state: 'invalid'; message: string }
  /** Relay could not be read: its failure, bounded, without any secret. */
  | { state: 'error'; message: string };

/** What the last read of Relay found, for the whole account. */
export interface RegistrationCheck {
  /** When Relay was last read (ISO 8601), whether it answered or failed; null before the first read ends. */
  checkedAt: string | null;
  /** Why Relay could not be read (or why it is never read), bounded and without secrets; null when it answered. */
  error: string | null;
  /** Registered names of this host's rows that no workflow serves (`npm run register` deletes them), at most {@link MAX_LISTED}. */
  leftOver: string[];
  /** Registrations of other hosts on the account. */
  foreign: number;
}

/** The log line of each read that Relay answered (debug). */
export const REGISTRATIONS_READ = "read Relay's workflow registrations for the status page";
/** The log line of a read that failed (warn when the failure is new, else debug). */
export const REGISTRATIONS_FAILED = "reading Relay's workflow registrations for the status page failed";

/** Longest error message kept, in characters. */
const MAX_MESSAGE_CHARS = 300;
/** Most left-over row names kept. */
const MAX_LISTED = 20;

export interface RegistrationStatusOptions {
  api: Pick<RelayApi, 'listWorkflows'>;
  /** The server's workflows now (read at each refresh, so workflows added after listen count too). */
  workflows: () => readonly WorkflowEntry[];
  /** The public host (undefined: none configured, so Relay is never read), WORKFLOW_TOKEN and RELAY_INSTALL. */
  target: Omit<RegistrationTarget, 'publicHost'> & { publicHost: string | undefined };
  logger: Logger;
  /** Values that must never reach the page or a log line (RELAY_API_KEY, WORKFLOW_TOKEN). */
  secrets: readonly string[];
  /** Least time between two reads of Relay. Default a minute. */
  intervalMs?: number;
  /** How long after {@link RegistrationStatus.start} the first read begins. Default 1 s. */
  firstReadMs?: number;
  /** Limit of one read, token request and retries included. Default 20 s. */
  readDeadlineMs?: number;
}

/**
 * The refresher: `start()` (at listen) schedules the first read; each read schedules the next
 * `intervalMs` after it ended, so reads never overlap and never come closer than that. `close()`
 * stops it; a read in flight then ends unseen.
 */
export class RegistrationStatus {
  private readonly options: RegistrationStatusOptions;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private check: RegistrationCheck = { checkedAt: null, error: null, leftOver: [], foreign: 0 };
  /** Each workflow's state at the last successful read, by name. */
  private states = new Map<string, RegistrationState>();

  constructor(options: RegistrationStatusOptions) {
    this.options = options;
    if (options.target.publicHost === undefined) {
      this.check = {
        ...this.check,
        error:
          "no public host: set PUBLIC_URL to the app's https:// URL, or turn on dyno metadata (heroku labs:enable runtime-dyno-metadata) for HEROKU_APP_DEFAULT_DOMAIN_NAME, to compare Relay's registrations with the code",
      };
    }
  }

  /** Schedules the first read; later calls do nothing. Without a public host, nothing is ever read. */
  start(): void {
    if (this.started || this.closed || this.options.target.publicHost === undefined) return;
    this.started = true;
    this.schedule(this.options.firstReadMs ?? 1_000);
  }

  /** Stops reading Relay. Safe to call more than once. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /** The account-wide result of the last read. */
  current(): RegistrationCheck {
    return { ...this.check, leftOver: [...this.check.leftOver] };
  }

  /** A workflow's state now: `checking` until a read has covered it, the error when the last read failed. */
  stateOf(name: string): RegistrationState {
    if (this.check.error !== null) return { state: 'error', message: this.check.error };
    const state = this.states.get(name);
    return state === undefined ? { state: 'checking' } : structuredClone(state);
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.read(), delayMs);
    this.timer.unref();
  }

  /** One read of Relay, then the next one scheduled. Never rejects. */
  private async read(): Promise<void> {
    const { api, workflows, target, logger } = this.options;
    const publicHost = target.publicHost!;
    try {
      const rows = await api.listWorkflows({ deadlineMs: this.options.readDeadlineMs ?? 20_000 });
      if (this.closed) return;
      const states = new Map<string, RegistrationState>();
      const desired: DesiredRegistration[] = [];
      for (const { name, registration } of workflows()) {
        if (registration === undefined) {
          desired.push({ name, row: undefined });
          continue;
        }
        try {
          desired.push({ name, row: desiredRow(name, registration, { ...target, publicHost }) });
        } catch (error) {
          if (!(error instanceof RegistrationError)) throw error;
          states.set(name, { state: 'invalid', message: this.bounded(error.message) });
          desired.push({ name, row: undefined });
        }
      }
      const plan = planRegistrations({ rows, desired, publicHost });
      const leftOver: string[] = [];
      for (const step of plan.steps) {
        if (step.action === 'create') states.set(step.name, { state: 'not-registered' });
        else if (step.action === 'update') states.set(step.name, { state: 'differs', fields: [...step.differs] });
        else if (step.action === 'unchanged') states.set(step.name, { state: 'in-step' });
        else if (step.action === 'delete' && leftOver.length < MAX_LISTED) leftOver.push(step.name);
      }
      this.states = states;
      this.check = { checkedAt: this.timestamp(), error: null, leftOver, foreign: plan.foreign };
      logger.debug(
        { checkedAt: this.check.checkedAt, workflows: states.size, leftOver: leftOver.length, foreign: plan.foreign },
        REGISTRATIONS_READ,
      );
    } catch (error) {
      if (this.closed) return;
      const message = this.bounded(
        error instanceof RelayApiError || error instanceof Error ? error.message : String(error),
      );
      const repeated = message === this.check.error;
      this.check = { checkedAt: this.timestamp(), error: message, leftOver: [], foreign: 0 };
      // Once per new failure at warn; the same failure again only at debug (it would come every minute).
      logger[repeated ? 'debug' : 'warn']({ checkedAt: this.check.checkedAt, error: message }, REGISTRATIONS_FAILED);
    } finally {
      this.schedule(this.options.intervalMs ?? 60_000);
    }
  }

  /** A message fit for the page and a log line: secrets and `?token=` values hidden, control characters dropped, truncated. */
  private bounded(message: string): string {
    const hidden = this.options.secrets
      .filter((secret) => secret !== '')
      .reduce((text, secret) => text.replaceAll(secret, '…'), hideToken(message));
    // eslint-disable-next-line no-control-regex
    const clean = hidden.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
    return clean.length > MAX_MESSAGE_CHARS ? `${clean.slice(0, MAX_MESSAGE_CHARS)}…` : clean;
  }

  private timestamp(): string {
    return new Date().toISOString();
  }
}
