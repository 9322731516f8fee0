/**
 * Webhook `Idempotency-Key`s: the store contract, the in-memory store for one process, the Redis
 * store shared by every dyno, and `createIdempotencyStore`, which picks the one that goes with the bus.
 */
import { randomBytes } from 'node:crypto';
import type { RedisClientType } from 'redis';
import { isRecord, sha256 } from '../util';
import { RedisBus, withRedisTimeout } from './redis-bus';
import { BusError, BusErrorCode, type SessionBus } from './session-bus';

/** What a store says about a key when a request claims it. */
export type IdempotencyClaim<T> =
  /**
   * This request holds the key now (first with it, or the previous holder's lease ran out): handle
   * it, then `complete` (or `release` if it failed), passing `owner`.
   */
  | { state: 'new'; owner: string }
  /** Another request with this key is being handled and its lease runs: answer 409, the caller retries. */
  | { state: 'pending' }
  /** Handled already: answer with what the first request answered. */
  | { state: 'done'; answer: T }
  /** The key was used with another request (another fingerprint): answer 422, the caller needs a new key. */
  | { state: 'mismatch' };

/** Options of {@link IdempotencyStore.claim}. */
export interface IdempotencyClaimOptions {
  /**
   * How long the claim holds the key before a retry may take it over (default 30 s, the router's
   * window): a dyno that dies mid-request does not block the key for its whole time to live.
   */
  leaseMs?: number;
  /** How long the key is remembered, pending or done (default 10 min). */
  ttlMs?: number;
}

/**
 * Remembers webhook `Idempotency-Key`s, so that a retried request is answered like the first
 * instead of acting twice (Stripe's convention). In memory for one dyno; in Redis when REDIS_URL
 * is set, so a retry is recognised whichever dyno it hits.
 *
 * A claim holds the key for a lease, under an owner token: once the lease has run out (its dyno
 * died, or the request is stuck) a retry takes the key over with a new owner, and the first
 * owner's late `complete` or `release` changes nothing. Each key keeps the fingerprint of the
 * request that first claimed it; a claim with another fingerprint is a `mismatch`.
 *
 * @example
 * const claim = await store.claim(`transport:${header}`, requestFingerprint(request))
 * if (claim.state === 'done') return reply.code(claim.answer.status).send(claim.answer.body)
 * if (claim.state !== 'new') return reply.code(claim.state === 'pending' ? 409 : 422).send(...)
 * const answer = await handle(request)
 * await store.complete(`transport:${header}`, claim.owner, answer)
 */
export interface IdempotencyStore<T = unknown> {
  /**
   * Claims `key` for the request with `fingerprint` (its hash, at most 128 characters). Keys are
   * caller input: 1 to 512 characters, hashed before use.
   */
  claim(key: string, fingerprint: string, options?: IdempotencyClaimOptions): Promise<IdempotencyClaim<T>>;
  /**
   * Stores the answer of the request that claimed `key` as `owner`; later claims get it until
   * `ttlMs` passes. Resolves false, storing nothing, when the key is no longer that claim's (a
   * retry took it over after the lease, or it expired).
   */
  complete(key: string, owner: string, answer: T, ttlMs?: number): Promise<boolean>;
  /**
   * Forgets `key` (its request failed before acting) if `owner` still holds it, so that a retry is
   * handled afresh; resolves whether it did.
   */
  release(key: string, owner: string): Promise<boolean>;
}

/** Stripe keeps keys 24 h; a webhook sender retries within minutes, and memory is bounded. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 10 * 60 * 1000;
/** Heroku's router answers H12 after 30 s: by then the caller has given up and may retry. */
export const DEFAULT_IDEMPOTENCY_LEASE_MS = 30 * 1000;
export const MAX_IDEMPOTENCY_KEY_CHARS = 512;
/** Longest request fingerprint (a hex sha256 has 64 characters). */
export const MAX_FINGERPRINT_CHARS = 128;
/** Largest answer kept per key, in bytes of JSON. */
export const MAX_IDEMPOTENCY_ANSWER_BYTES = 16 * 1024;

/** A key that cannot be used: empty, too long, or not a string. */
export class IdempotencyKeyError extends Error {
  readonly code = 'ERR_IDEMPOTENCY_KEY';
  constructor(message: string) {
    super(message);
    this.name = 'IdempotencyKeyError';
  }
}

/** `answer` as JSON, refused (RangeError) over {@link MAX_IDEMPOTENCY_ANSWER_BYTES}. */
export function encodeAnswer(answer: unknown): string {
  const text = JSON.stringify(answer) as string | undefined;
  if (text === undefined) throw new TypeError('an idempotent answer must be JSON data, got undefined');
  if (Buffer.byteLength(text) > MAX_IDEMPOTENCY_ANSWER_BYTES) {
    throw new RangeError(
      `an idempotent answer may hold at most ${MAX_IDEMPOTENCY_ANSWER_BYTES} bytes of JSON: store a status and a short body`,
    );
  }
  return text;
}

/** sha256 of a checked key, in hex: a caller's key is never used (nor stored, nor logged) as given. */
export function hashIdempotencyKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_CHARS) {
    const got = typeof key === 'string' ? `${key.length} characters` : typeof key;
    throw new IdempotencyKeyError(
      `an idempotency key must be 1 to ${MAX_IDEMPOTENCY_KEY_CHARS} characters (a UUID is typical), got ${got}`,
    );
  }
  return sha256(key).toString('hex');
}

/** Throws a TypeError unless `value` is a token the app made: a fingerprint or an owner (1 to 128 characters). */
function checkToken(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FINGERPRINT_CHARS)
    throw new TypeError(`the idempotency ${what} must be a string of 1 to ${MAX_FINGERPRINT_CHARS} characters`);
}

/** A new owner token: 128 random bits, in hex. */
function newOwner(): string {
  return randomBytes(16).toString('hex');
}

export interface IdempotencyStoreOptions {
  /** The clock that times leases, for tests (default Date.now). */
  now?: () => number;
}

/** The idempotency store that goes with `bus`: in Redis (on the bus's connection) for a Redis bus, else in memory. */
export function createIdempotencyStore<T = unknown>(
  bus: SessionBus,
  options: IdempotencyStoreOptions = {},
): IdempotencyStore<T> {
  return bus instanceof RedisBus
    ? new RedisIdempotencyStore<T>(bus.client, options)
    : new InMemoryIdempotencyStore<T>(options);
}

interface Entry<T> {
  fingerprint: string;
  /** When the key is forgotten. */
  expiresAt: number;
  /** The claim's owner and lease, while pending. */
  owner?: string;
  leaseUntil?: number;
  done: boolean;
  answer?: T;
}

export interface InMemoryIdempotencyStoreOptions extends IdempotencyStoreOptions {
  /** Most keys kept; at the limit, expired keys go first, then the oldest (default 10,000). */
  maxEntries?: number;
}

/** The store for one process (the default with no REDIS_URL): bounded in entries and time. */
export class InMemoryIdempotencyStore<T = unknown> implements IdempotencyStore<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor({ maxEntries = 10_000, now = Date.now }: InMemoryIdempotencyStoreOptions = {}) {
    this.maxEntries = maxEntries;
    this.now = now;
  }

  get size(): number {
    return this.entries.size;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async like the Redis store: a bad key is a rejection
  async claim(
    key: string,
    fingerprint: string,
    { leaseMs = DEFAULT_IDEMPOTENCY_LEASE_MS, ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS }: IdempotencyClaimOptions = {},
  ): Promise<IdempotencyClaim<T>> {
    const hash = hashIdempotencyKey(key);
    checkToken(fingerprint, 'fingerprint');
    const entry = this.live(hash);
    const now = this.now();
    if (entry !== undefined) {
      if (entry.fingerprint !== fingerprint) return { state: 'mismatch' };
      if (entry.done) return { state: 'done', answer: entry.answer as T };
      if ((entry.leaseUntil ?? 0) > now) return { state: 'pending' };
    }
    const owner = newOwner();
    this.put(hash, { fingerprint, expiresAt: now + ttlMs, owner, leaseUntil: now + leaseMs, done: false });
    return { state: 'new', owner };
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- see claim
  async complete(key: string, owner: string, answer: T, ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS): Promise<boolean> {
    const hash = hashIdempotencyKey(key);
    checkToken(owner, 'owner');
    const entry = this.live(hash);
    if (entry === undefined || entry.done || entry.owner !== owner) return false;
    const copy = JSON.parse(encodeAnswer(answer)) as T;
    this.put(hash, { fingerprint: entry.fingerprint, expiresAt: this.now() + ttlMs, done: true, answer: copy });
    return true;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- see claim
  async release(key: string, owner: string): Promise<boolean> {
    const hash = hashIdempotencyKey(key);
    checkToken(owner, 'owner');
    const entry = this.live(hash);
    if (entry === undefined || entry.done || entry.owner !== owner) return false;
    return this.entries.delete(hash);
  }

  /** Sets an entry, re-inserted so that insertion order stays the order of expiry for eviction. */
  private put(hash: string, entry: Entry<T>): void {
    this.entries.delete(hash);
    this.makeRoom();
    this.entries.set(hash, entry);
  }

  private live(hash: string): Entry<T> | undefined {
    const entry = this.entries.get(hash);
    if (entry === undefined || entry.expiresAt > this.now()) return entry;
    this.entries.delete(hash);
    return undefined;
  }

  private makeRoom(): void {
    if (this.entries.size < this.maxEntries) return;
    const now = this.now();
    for (const [hash, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(hash);
    for (const hash of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(hash);
    }
  }
}

/**
 * Claims a key in one step: KEYS[1] the key; ARGV: now, fingerprint, the pending value to set,
 * the key's time to live. Answers {'new'}, {'pending'}, {'mismatch'} or {'done', stored value}.
 * A value it cannot read (another app's key under the prefix) counts as pending, never as an answer.
 */
const CLAIM = `
local raw = redis.call('GET', KEYS[1])
if raw then
  local ok, rec = pcall(cjson.decode, raw)
  if not ok or type(rec) ~= 'table' then return {'pending'} end
  if type(rec.fp) == 'string' and rec.fp ~= ARGV[2] then return {'mismatch'} end
  if rec.done == true then return {'done', raw} end
  local lease = tonumber(rec.lease_until)
  if lease == nil or lease > tonumber(ARGV[1]) then return {'pending'} end
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return {'new'}`;

/** The body of COMPLETE and RELEASE: whether KEYS[1] is still the pending claim of owner ARGV[1]. */
const OWNED = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, rec = pcall(cjson.decode, raw)
if not ok or type(rec) ~= 'table' or rec.done == true or rec.owner ~= ARGV[1] then return 0 end`;

/** Makes KEYS[1] done with the answer JSON ARGV[2], for ARGV[3] ms, if owner ARGV[1] still holds it; answers 1 if it did. */
const COMPLETE = `${OWNED}
local done = '{"done":true,"fp":' .. cjson.encode(rec.fp) .. ',"answer":' .. ARGV[2] .. '}'
redis.call('SET', KEYS[1], done, 'PX', ARGV[3])
return 1`;

/** Deletes KEYS[1] if owner ARGV[1] still holds it; answers 1 if it did. */
const RELEASE = `${OWNED}
redis.call('DEL', KEYS[1])
return 1`;

/** A Redis command that takes longer than this counts as Redis being unreachable (503), like a refused one. */
const COMMAND_TIMEOUT_MS = 2_000;

export interface RedisIdempotencyStoreOptions extends IdempotencyStoreOptions {
  /** Prefix of the store's keys (default `relay-idem`). */
  prefix?: string;
}

/**
 * The store shared by every dyno, in the bus's Redis (it uses the bus's publishing connection).
 * Each step is one Lua script, so two dynos given the same retry cannot both handle it, and a
 * late owner's `complete` is a compare-and-set on its owner token. Keys are
 * `<prefix>:<sha256 of the caller's key>`, holding JSON: `{owner, lease_until, fp}` while pending,
 * `{done: true, answer, fp}` once done. Leases are timed by the dynos' clocks (NTP keeps Heroku's
 * within a second of each other, against a 30 s lease). While Redis is unreachable, every call
 * rejects at once with BusError UNAVAILABLE (answer 503; the sender retries).
 */
export class RedisIdempotencyStore<T = unknown> implements IdempotencyStore<T> {
  private readonly prefix: string;
  private readonly now: () => number;

  constructor(
    private readonly client: RedisClientType,
    { prefix = 'relay-idem', now = Date.now }: RedisIdempotencyStoreOptions = {},
  ) {
    this.prefix = prefix;
    this.now = now;
  }

  async claim(
    key: string,
    fingerprint: string,
    { leaseMs = DEFAULT_IDEMPOTENCY_LEASE_MS, ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS }: IdempotencyClaimOptions = {},
  ): Promise<IdempotencyClaim<T>> {
    const redisKey = this.redisKey(key);
    checkToken(fingerprint, 'fingerprint');
    const now = this.now();
    const owner = newOwner();
    const pending = JSON.stringify({ owner, lease_until: now + leaseMs, fp: fingerprint });
    const reply = await this.run(() =>
      this.client.eval(CLAIM, {
        keys: [redisKey],
        arguments: [String(now), fingerprint, pending, String(ttlMs)],
      }),
    );
    const [state, stored] = Array.isArray(reply) ? reply : [];
    if (state === 'new') return { state: 'new', owner };
    if (state === 'mismatch') return { state: 'mismatch' };
    if (state === 'done' && typeof stored === 'string') return readDone<T>(stored);
    return { state: 'pending' };
  }

  async complete(key: string, owner: string, answer: T, ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS): Promise<boolean> {
    const redisKey = this.redisKey(key);
    checkToken(owner, 'owner');
    const text = encodeAnswer(answer);
    const reply = await this.run(() =>
      this.client.eval(COMPLETE, { keys: [redisKey], arguments: [owner, text, String(ttlMs)] }),
    );
    return reply === 1;
  }

  async release(key: string, owner: string): Promise<boolean> {
    const redisKey = this.redisKey(key);
    checkToken(owner, 'owner');
    const reply = await this.run(() => this.client.eval(RELEASE, { keys: [redisKey], arguments: [owner] }));
    return reply === 1;
  }

  private redisKey(key: string): string {
    return `${this.prefix}:${hashIdempotencyKey(key)}`;
  }

  private async run<R>(command: () => Promise<R>): Promise<R> {
    try {
      return await withRedisTimeout(command(), COMMAND_TIMEOUT_MS);
    } catch (error) {
      throw new BusError(
        BusErrorCode.UNAVAILABLE,
        'the idempotency store cannot reach Redis: try again shortly; it reconnects by itself',
        { cause: error },
      );
    }
  }
}

function parseStored(stored: string): unknown {
  try {
    return JSON.parse(stored) as unknown;
  } catch {
    return undefined;
  }
}

/** A done value as the claim script returned it; anything unreadable counts as pending, never as an answer. */
function readDone<T>(stored: string): IdempotencyClaim<T> {
  const value = parseStored(stored);
  return isRecord(value) && value.done === true && Object.hasOwn(value, 'answer')
    ? { state: 'done', answer: value.answer as T }
    : { state: 'pending' };
}
