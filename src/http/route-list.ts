import type { RouteOptions } from 'fastify';

/** A path the HTTP side answers, with its methods (`HEAD` included where Fastify adds it for a `GET`). */
export interface RouteEntry {
  path: string;
  methods: string[];
}

/**
 * Collects every route as Fastify adds it (pass {@link add} to an `onRoute` hook registered before
 * any route): the status page lists them, and the not-found handler answers 405 with `Allow` for a
 * known path asked with another method.
 */
export class RouteList {
  private readonly byPath = new Map<string, Set<string>>();

  readonly add = (route: RouteOptions): void => {
    const methods = this.byPath.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method.toUpperCase());
    this.byPath.set(route.url, methods);
  };

  /** The methods served at exactly this path (parametric routes are not matched), or undefined. */
  methodsAt(path: string): string[] | undefined {
    const methods = this.byPath.get(path);
    return methods === undefined ? undefined : [...methods];
  }

  /** Every route, in the order added. */
  entries(): RouteEntry[] {
    return [...this.byPath].map(([path, methods]) => ({ path, methods: [...methods] }));
  }
}
