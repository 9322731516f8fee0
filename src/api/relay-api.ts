import { readAppInfo } from '../util';
import pino from 'pino';
import type { Logger } from '../logger';
import { AccessTokens, type AccessToken } from './access-tokens';
import { afterAttempts, httpFailureMessage, parseJson, relayMessageOf } from './describe-failure';
import { RelayApiError, RelayApiErrorCode, type RelayApiCall } from './relay-api-error';
import { RELAY_ENVIRONMENTS } from './relay-environments';
import { requestAccessToken, TokenFailure } from './request-access-token';
import { hostOf } from '../util';
import {
  sendWithRetries,
  TransportError,
  type HttpAnswer,
  type HttpExchange,
  type SendOptions,
} from './send-with-retries';
import { checkDeviceId, checkTrigger } from './check-arguments';

export interface RelayApiOptions {
  /** The refresh token (RELAY_API_KEY). A call without it fails with ERR_RELAY_API_CONFIG. */
  apiKey: string | undefined;
  /** The subscriber (account) id (RELAY_SUBSCRIBER_ID). A call without it fails with ERR_RELAY_API_CONFIG. */
  subscriberId: string | undefined;
  /** Base URL of the HTTP API, no trailing slash. Default: pro's. */
  apiUrl?: string;
  /** Base URL of the token service. Default: pro's. */
  authUrl?: string;
  /** OAuth client id of the environment. Default: pro's. */
  clientId?: string;
  /** Limit for each HTTP attempt, answer body included. Default 10 000. */
  timeoutMs?: number;
  /** Attempts per request in all, first one included. Default 3. */
  maxAttempts?: number;
  /** Largest answer body read. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Where retries and token refreshes are logged (never a token). Default: silent. */
  log?: Logger;
  fetch?: typeof globalThis.fetch;
  /** The jitter's randomness, in [0, 1). */
  random?: () => number;
  /** Waits between attempts; tests pass one that records the delays. */
  sleep?: (ms: number) => Promise<void>;
  /** The clock tokens expire by. */
  now?: () => number;
}

/** What a trigger or a device query answered: parsed JSON, the text if it is not JSON, undefined if empty. */
export type RelayAnswer = unknown;

const MIB = 1024 * 1024;

/**
 * A client for Relay's HTTP API: one per server, built from config by `relayApiFromConfig`. It
 * gets access tokens from the refresh token and caches them until shortly before they expire;
 * concurrent calls share one token request; a 401 gets one new token and one more try. Every HTTP
 * attempt has a timeout; network failures, 429 (with Retry-After), 502, 503 and 504 are retried
 * with backoff and jitter up to `maxAttempts` attempts. Failures are {@link RelayApiError}s whose
 * messages say what to check and never hold a token.
 *
 * @example
 * const api = new RelayApi({ apiKey: config.relayApiKey, subscriberId: config.relaySubscriberId, log })
 * await api.triggerWorkflow('wf_broadcast_x1y2', ['990007560012345'], { text: 'Lunch is ready' })
 */
export class RelayApi {
  private readonly apiKey: string | undefined;
  private readonly subscriberId: string | undefined;
  private readonly apiUrl: string;
  private readonly authUrl: string;
  private readonly clientId: string;
  private readonly send: SendOptions;
  private readonly log: Logger;
  private readonly userAgent: string;
  private readonly tokens: AccessTokens;
  private readonly now: () => number;

  constructor({
    apiKey,
    subscriberId,
    apiUrl = RELAY_ENVIRONMENTS.pro.apiUrl,
    authUrl = RELAY_ENVIRONMENTS.pro.authUrl,
    clientId = RELAY_ENVIRONMENTS.pro.clientId,
    timeoutMs = 10_000,
    maxAttempts = 3,
    maxBodyBytes = MIB,
    // Disabled outright: a silent logger on stdout would still open a stream and a flush timer.
    log = pino({ enabled: false }),
    fetch = globalThis.fetch,
    random = Math.random,
    sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now = Date.now,
  }: RelayApiOptions) {
    this.apiKey = apiKey === '' ? undefined : apiKey;
    this.subscriberId = subscriberId === '' ? undefined : subscriberId;
    this.apiUrl = apiUrl.replace(/\/+$/, '');
    this.authUrl = authUrl.replace(/\/+$/, '');
    this.clientId = clientId;
    this.log = log;
    this.send = {
      fetch,
      timeoutMs,
      maxAttempts: Math.max(1, Math.floor(maxAttempts)),
      maxBodyBytes,
      random,
      sleep,
      log,
    };
    const app = readAppInfo();
    this.userAgent = `${app.name}/${app.version} node/${process.version}`;
    this.now = now;
    this.tokens = new AccessTokens(() => this.requestToken(), now);
  }

  /**
   * Fires a workflow's HTTP trigger: Relay opens a session to the workflow's URL on each target
   * device (or the devices it was registered for), and its start event carries `args` as
   * `trigger.args.args`. Resolves with Relay's answer once Relay has accepted the trigger.
   *
   * @param workflowId the id `relay workflow:create:http` printed (`wf_...`)
   * @param targets device ids to run it on
   * @param args string values the workflow reads from its start event
   */
  async triggerWorkflow(
    workflowId: string,
    targets?: readonly string[],
    args?: Readonly<Record<string, string>>,
  ): Promise<RelayAnswer> {
    const call = 'triggerWorkflow';
    checkTrigger(call, workflowId, targets, args);
    const body: Record<string, unknown> = { action: 'invoke' };
    if (args !== undefined) body.action_args = { ...args };
    if (targets !== undefined) body.target_device_ids = [...targets];
    const answer = await this.callApi(
      call,
      'POST',
      `/ibot/workflow/${encodeURIComponent(workflowId)}`,
      JSON.stringify(body),
    );
    return answerOf(answer);
  }

  /** Relay's record of a device (label, status, battery, location...), as Relay's API returns it. */
  async fetchDevice(deviceId: string): Promise<Readonly<Record<string, unknown>>> {
    const call = 'fetchDevice';
    checkDeviceId(call, deviceId);
    const answer = await this.callApi(call, 'GET', `/relaypro/api/v1/device/${encodeURIComponent(deviceId)}`);
    const record = answerOf(answer);
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new RelayApiError({
        call,
        code: RelayApiErrorCode.RESPONSE,
        status: answer.status,
        message: `${call} failed: Relay answered HTTP ${answer.status} without a device record (a JSON object); check RELAY_API_URL`,
      });
    }
    return record as Readonly<Record<string, unknown>>;
  }

  /** One authorized API call: a token, the request, and on 401 one new token and one more try. */
  private async callApi(call: RelayApiCall, method: 'GET' | 'POST', path: string, body?: string): Promise<HttpAnswer> {
    let token = await this.token(call);
    let answer = await this.exchange(call, this.apiExchange(token, method, path, body));
    if (answer.status === 401) {
      this.log.info({ call }, 'Relay refused the access token; getting a new one');
      this.tokens.invalidate(token);
      token = await this.token(call);
      answer = await this.exchange(call, this.apiExchange(token, method, path, body));
    }
    if (answer.status >= 200 && answer.status < 300) {
      this.log.debug({ call, status: answer.status, attempts: answer.attempts }, 'Relay API call done');
      return answer;
    }
    const relayMessage = relayMessageOf(answer.text, this.secrets(token));
    throw new RelayApiError({
      call,
      code: answer.status === 401 ? RelayApiErrorCode.AUTH : RelayApiErrorCode.HTTP,
      status: answer.status,
      relayMessage,
      message: httpFailureMessage(call, answer.status, relayMessage, answer.attempts),
    });
  }

  private apiExchange(
    token: AccessToken,
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
  ): HttpExchange {
    const query = new URLSearchParams({ subscriber_id: this.subscriberId ?? '', user_id: token.userId });
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token.accessToken}`,
      Accept: 'application/json',
      'User-Agent': this.userAgent,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return { method, url: `${this.apiUrl}${path}?${query.toString()}`, headers, body, idempotent: method === 'GET' };
  }

  /** sendWithRetries, with a failure to get any answer turned into the call's RelayApiError. */
  private async exchange(call: RelayApiCall, exchange: HttpExchange): Promise<HttpAnswer> {
    try {
      return await sendWithRetries(call, exchange, this.send);
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      const where = `Relay's API at ${hostOf(this.apiUrl)}`;
      const [code, advice] =
        error.kind === 'timeout'
          ? [
              RelayApiErrorCode.TIMEOUT,
              exchange.idempotent
                ? 'check RELAY_API_URL, RELAY_ENV and the network, or raise timeoutMs'
                : 'check RELAY_API_URL, RELAY_ENV and the network; it was not retried, as Relay may have started the workflow already',
            ]
          : error.kind === 'network'
            ? [RelayApiErrorCode.NETWORK, 'check RELAY_API_URL, RELAY_ENV and the network']
            : [RelayApiErrorCode.RESPONSE, 'check RELAY_API_URL'];
      throw new RelayApiError({
        call,
        code,
        message: `${call} failed: ${where}: ${error.detail}${afterAttempts(error.attempts)}; ${advice}`,
      });
    }
  }

  /** The current access token, with a token failure reported under this call's name. */
  private async token(call: RelayApiCall): Promise<AccessToken> {
    if (this.apiKey === undefined || this.subscriberId === undefined) {
      const missing = this.apiKey === undefined ? 'RELAY_API_KEY' : 'RELAY_SUBSCRIBER_ID';
      throw new RelayApiError({
        call,
        code: RelayApiErrorCode.CONFIG,
        message: `${call} needs Relay API credentials, and ${missing} is not set: set RELAY_API_KEY (a refresh token from "relay token generate") and RELAY_SUBSCRIBER_ID`,
      });
    }
    try {
      return await this.tokens.get();
    } catch (error) {
      if (!(error instanceof TokenFailure)) throw error;
      throw new RelayApiError({
        call,
        code: error.code,
        status: error.status,
        relayMessage: error.relayMessage,
        message: `${call} failed: could not get an access token: ${error.detail}`,
      });
    }
  }

  private async requestToken(): Promise<AccessToken> {
    const token = await requestAccessToken({
      apiKey: this.apiKey ?? '',
      authUrl: this.authUrl,
      clientId: this.clientId,
      userAgent: this.userAgent,
      now: this.now,
      send: this.send,
    });
    this.log.debug({ usableForSecs: Math.round((token.expiresAt - this.now()) / 1000) }, 'got a Relay access token');
    return token;
  }

  private secrets(token: AccessToken): string[] {
    return [this.apiKey ?? '', token.accessToken, ...this.tokens.secrets];
  }
}

function answerOf(answer: HttpAnswer): RelayAnswer {
  if (answer.text.trim() === '') return undefined;
  return parseJson(answer.text) ?? answer.text;
}
