/**
 * Small utilities that several parts of the project share: constant-time secret checks, a timeout
 * around a promise, the plain-record guard for anything a peer or a caller sent, a URL's host for
 * error messages, and the app's name and version.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Whether `given` equals `expected`, compared in constant time on SHA-256 digests, so neither the
 * time taken nor the lengths say how much of a guess was right.
 */
export function secretsMatch(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** The SHA-256 digest of a string. */
export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * `promise`, or a rejection with `timeoutError()` after `ms`, whichever comes first. The promise
 * goes on; a failure of it after the timeout is dropped rather than left unhandled.
 *
 * @example
 * await withTimeout(client.close(), 2_000, () => new Error('Redis did not answer within 2000 ms'))
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Whether `value` is a JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A URL's `host[:port]` for an error message, or a fixed phrase when it does not parse. */
export function hostOf(url: string): string {
  return URL.parse(url)?.host ?? 'an unparsable URL';
}

export interface AppInfo {
  name: string;
  version: string;
}

/** Name and version from the nearest package.json above this file (found from src/ and dist/ alike). */
export function readAppInfo(from = __dirname): AppInfo {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Partial<AppInfo>;
      return { name: pkg.name ?? 'relay-workflows', version: pkg.version ?? '0.0.0' };
    }
    if (dirname(dir) === dir) return { name: 'relay-workflows', version: '0.0.0' };
  }
}
