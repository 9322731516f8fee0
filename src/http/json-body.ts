/**
 * The `application/json` body parser every route inherits. It keeps Fastify's answers for an empty
 * body and for text that is not JSON, and refuses, as Fastify does, a key that could reach an
 * object's prototype when the body is copied or merged (`__proto__`, or `constructor` holding
 * `prototype`). Unlike Fastify, whose parser calls that "Body is not valid JSON", the 400 says
 * which key and where, so the caller learns what to change.
 */
import { errorCodes, type FastifyInstance } from 'fastify';

/** Replaces the instance's `application/json` parser; route modules inherit it. */
export function parseJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/**
 * The parsed body, or throws a 400 error: Fastify's for an empty body or invalid JSON, else one
 * naming the forbidden key and its path (`body/list/1/__proto__`).
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY();
  }
  const problem = prototypeKey(value);
  if (problem !== undefined)
    throw Object.assign(new Error(problem), { statusCode: 400, code: 'ERR_BODY_PROTOTYPE_KEY' });
  return value;
}

/**
 * What is wrong with the first key of `value` that could reach a prototype, else undefined.
 * Iterative, with an explicit stack: a body may nest deeper than the call stack allows.
 */
function prototypeKey(value: unknown): string | undefined {
  const stack: { node: unknown; path: string }[] = [{ node: value, path: 'body' }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { node, path } = next;
    if (typeof node !== 'object' || node === null) continue;
    // JSON.parse makes `__proto__` an own data property; only copying it elsewhere is the danger.
    for (const key of Object.keys(node)) {
      const child: unknown = (node as Record<string, unknown>)[key];
      if (key === '__proto__') return `Body has a __proto__ key (${shown(path)}/__proto__), which is not allowed`;
      if (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype'))
        return `Body has a constructor key holding a prototype key (${shown(path)}/constructor/prototype), which is not allowed`;
      stack.push({ node: child, path: `${path}/${key}` });
    }
  }
  return undefined;
}

/** The caller's keys are echoed in the answer and may be logged: at most 200 characters of the path, its end kept. */
function shown(path: string): string {
  return path.length > 200 ? `…${path.slice(-200)}` : path;
}
