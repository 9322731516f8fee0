import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { secretsMatch, withTimeout } from '../util';
import { ByteBudget, CLOSE_HANDSHAKE_MS } from './limits';
import type { WorkflowSecrets } from './secret-check';
import { makeId, Session, type SessionEnd } from './session';
import { Workflow } from './workflow';
import { pathOf, workflowLogName, type WorkflowContext, type WorkflowRegistry } from './workflow-registry';

export interface WebSocketHostOptions {
  registry: WorkflowRegistry;
  logger: Logger;
  /** Interval between pings; a peer that missed the previous pong is dropped. */
  heartbeatMs: number;
  /** Largest incoming message; a bigger one closes its session with 1009. */
  maxPayloadBytes: number;
  /** Most sessions open at once; upgrades beyond it get 503. */
  maxSessions: number;
  /** WORKFLOW_TOKEN: when set, upgrades must carry it as the `token` query parameter. */
  workflowToken?: string;
  /**
   * WORKFLOW_SECRET (and WORKFLOW_SECRET_PREVIOUS): when set, each session asks Relay for the
   * `workflow_secret` arg after its start event and is closed with 1008 unless it matches.
   */
  workflowSecrets?: WorkflowSecrets;
  /** Log whole frames at debug (LOG_PRIVATE_DATA). */
  logPrivateData?: boolean;
  /** How long a new session has to send its start event before it is closed with 1008. */
  startTimeoutMs?: number;
  /** Most bytes of events one session may have waiting behind a running handler. */
  maxQueuedBytes?: number;
  /** MAX_BUFFERED_BYTES: most bytes all sessions together may hold (messages arriving and events queued). */
  maxBufferedBytes?: number;
  /** What each session's Workflow gets besides its session: the bus and the workflows' settings. */
  context?: WorkflowContext;
}

/**
 * Why the server stops. A `shutdown` (SIGTERM: a deploy, a dyno restart) lets open sessions finish
 * within SHUTDOWN_GRACE_MS; a `restart` (SIGUSR2, which npm run dev sends on every change) ends them
 * at once, so a restart takes about a second with `npm run sim` connected.
 */
export type ServerStop = 'shutdown' | 'restart';

/** How each kind of stop closes the sessions still open, and what `session closed` logs as `endedBy`. */
const STOPS: Record<ServerStop, { reason: SessionEnd; code: number; text: string }> = {
  shutdown: { reason: 'server-shutdown', code: 1001, text: 'server shutting down' },
  restart: { reason: 'server-restart', code: 1012, text: 'server restarting' },
};

/**
 * A session without a start event this old (or a tenth of the start deadline, if less) may be cut
 * off to make room at MAX_SESSIONS; a younger one may still be Relay's, its start on the way.
 */
const EVICTABLE_AFTER_MS = 1_000;

/**
 * The WebSocket side of the server: it takes upgrade requests from the HTTP server, refuses
 * unknown paths with 404 before any handshake, runs one {@link Session} per connection, pings them
 * all, and drains them on {@link close}.
 */
export class WebSocketHost {
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<Session>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly registry: WorkflowRegistry;
  private readonly log: Logger;
  private readonly maxSessions: number;
  private readonly workflowToken: string | undefined;
  private readonly workflowSecrets: WorkflowSecrets | undefined;
  private readonly logPrivateData: boolean;
  private readonly startTimeoutMs: number | undefined;
  private readonly maxQueuedBytes: number | undefined;
  private readonly budget: ByteBudget;
  private readonly context: WorkflowContext;
  private readonly evictableAfterMs: number;
  private draining = false;
  private readonly onSocketError = (err: Error) => this.log.debug({ err }, 'socket error during upgrade');

  constructor(options: WebSocketHostOptions) {
    const {
      registry,
      logger,
      heartbeatMs,
      maxPayloadBytes,
      maxSessions,
      workflowToken,
      logPrivateData = false,
    } = options;
    this.registry = registry;
    this.startTimeoutMs = options.startTimeoutMs;
    this.evictableAfterMs = Math.min(EVICTABLE_AFTER_MS, (options.startTimeoutMs ?? Infinity) / 10);
    this.context = options.context ?? {};
    this.maxQueuedBytes = options.maxQueuedBytes;
    this.budget = new ByteBudget(options.maxBufferedBytes ?? Number.POSITIVE_INFINITY);
    this.logPrivateData = logPrivateData;
    this.log = logger;
    this.maxSessions = maxSessions;
    this.workflowToken = workflowToken;
    this.workflowSecrets = options.workflowSecrets;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: maxPayloadBytes,
    });
    // Unref'd: a server that never listens (or failed to) must not keep the process alive.
    this.heartbeat = setInterval(() => this.beat(), heartbeatMs).unref();
  }

  /** Number of open sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** Bytes all sessions hold now (messages arriving and events queued). */
  get bufferedBytes(): number {
    return this.budget.bufferedBytes;
  }

  /**
   * Handles the HTTP server's `upgrade` event. Refusals (503 draining, 401 token, 404 path, 503
   * full) are answered before the handshake, so no workflow code runs for them.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // One shared listener: a closure made here would share this call's scope, and so keep the
    // upgrade request (headers and all) alive for as long as the socket lives.
    socket.on('error', this.onSocketError);
    const url = request.url ?? '/';
    // The query string may hold the token: it is never logged.
    const path = pathOf(url).slice(0, 200);
    if (this.draining) {
      rejectUpgrade(socket, 503, 'this server is restarting; try again in a moment', { 'Retry-After': '1' });
      return;
    }
    if (this.workflowToken !== undefined && !tokenMatches(url, this.workflowToken)) {
      this.log.warn({ path, requestId: requestIdOf(request) }, 'upgrade refused: missing or wrong token');
      rejectUpgrade(socket, 401, 'this server needs the token query parameter of its registered URL');
      return;
    }
    const match = this.registry.match(url);
    if (match === undefined) {
      this.log.warn({ path, requestId: requestIdOf(request) }, 'upgrade refused: no workflow at this path');
      rejectUpgrade(
        socket,
        404,
        `no workflow here; this server serves: ${this.registry
          .names()
          .map((n) => `/${n}`)
          .join(', ')}`,
      );
      return;
    }
    if (this.sessions.size >= this.maxSessions && !this.evictUnstarted()) {
      this.log.warn({ path, sessions: this.sessions.size }, 'upgrade refused: MAX_SESSIONS sessions are open');
      rejectUpgrade(socket, 503, 'this server is at its session limit; try again in a moment', { 'Retry-After': '5' });
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      socket.off('error', this.onSocketError);
      this.open(ws, socket, request, match.name, match.handler);
    });
  }

  /**
   * Stops taking sessions and closes them, then resolves when every socket is closed and the
   * heartbeat is stopped. On a `shutdown` open sessions get up to `graceMs` to finish, then the rest
   * are closed with 1001 (going away); on a `restart` (npm run dev's) they are closed at once with
   * 1012 (service restart), whatever `graceMs` says.
   */
  async close(graceMs: number, stop: ServerStop = 'shutdown'): Promise<void> {
    this.draining = true;
    const { reason, code, text } = STOPS[stop];
    if (stop === 'shutdown' && this.sessions.size > 0) {
      this.log.info({ sessions: this.sessions.size, graceMs }, 'waiting for open sessions to finish');
      await this.allClosedWithin(graceMs);
    } else if (stop === 'restart' && this.sessions.size > 0) {
      this.log.info(
        { sessions: this.sessions.size, code },
        'restarting: ending open sessions now (1012, service restart)',
      );
    }
    for (const session of this.sessions) session.end(reason, code, text);
    await this.allClosedWithin(CLOSE_HANDSHAKE_MS);
    for (const session of this.sessions) session.end(reason);
    await this.allClosedWithin(CLOSE_HANDSHAKE_MS);
    clearInterval(this.heartbeat);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private open(
    ws: WebSocket,
    connection: Duplex,
    request: IncomingMessage,
    name: string,
    handler: (workflow: Workflow) => void,
  ): void {
    const id = makeId().slice(0, 16);
    const log = this.log.child({ session: id, workflow: workflowLogName(name), requestId: requestIdOf(request) });
    const session = new Session({
      socket: ws,
      connection,
      logger: log,
      id,
      logPrivateData: this.logPrivateData,
      startTimeoutMs: this.startTimeoutMs,
      maxQueuedBytes: this.maxQueuedBytes,
      budget: this.budget,
      secrets: this.workflowSecrets,
    });
    this.sessions.add(session);
    void session.whenClosed().then(() => this.sessions.delete(session));
    log.info('session opened');
    const fail = (err: unknown) => {
      log.error({ err }, 'workflow function failed while the session opened; closing it with 1011');
      session.end('workflow-failed', 1011, 'workflow failed');
    };
    try {
      // Typed as returning void, but an async workflow function returns a promise that may reject.
      const result: unknown = handler(new Workflow(session, this.context));
      if (result instanceof Promise) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  /**
   * At MAX_SESSIONS, makes room by cutting off the oldest session that has not sent its start
   * event for a second: a Relay server sends it at once, so such a connection cannot keep a real
   * one out. Returns whether there was one.
   */
  private evictUnstarted(): boolean {
    for (const session of this.sessions) {
      if (session.hasStarted || session.ageMs < this.evictableAfterMs) continue;
      session.log.warn('cutting off a session without a start event to make room for a new one (MAX_SESSIONS)');
      this.sessions.delete(session);
      session.end('start-timeout');
      return true;
    }
    return false;
  }

  private beat(): void {
    for (const session of this.sessions) {
      if (session.alive) session.ping();
      else session.end('heartbeat-timeout');
    }
  }

  private async allClosedWithin(ms: number): Promise<void> {
    if (this.sessions.size === 0) return;
    const allClosed = Promise.all([...this.sessions].map((session) => session.whenClosed()));
    // Sessions still open after `ms` are not an error: the caller closes them harder.
    await withTimeout(allClosed, ms, () => new Error('sessions still open')).catch(() => undefined);
  }
}

/** Heroku's router sets `X-Request-Id`; anything odd in it is dropped rather than logged. */
export function requestIdOf(request: IncomingMessage): string | undefined {
  const value = request.headers['x-request-id'];
  return typeof value === 'string' && /^[A-Za-z0-9+/=_.:-]{1,200}$/.test(value) ? value : undefined;
}

/** Whether the request URL carries `token=<expected>` in its query string, compared in constant time. */
function tokenMatches(url: string, expected: string): boolean {
  const query = url.indexOf('?');
  const given = query === -1 ? null : new URLSearchParams(url.slice(query + 1)).get('token');
  if (given === null) return false;
  return secretsMatch(given, expected);
}

/**
 * Answers an upgrade request with a plain HTTP error instead of a WebSocket, then closes the
 * connection. Used before the handshake, so no workflow code runs for a refused request.
 */
function rejectUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
