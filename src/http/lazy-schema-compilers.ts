import { dirname } from 'node:path';
import type Ajv from 'ajv';
import type { AnySchema, Options } from 'ajv';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type SerializerFactory = NonNullable<CompilersFactory['buildSerializer']>;

/** Fastify's own ajv settings (allErrors off: with it on, a crafted body costs unbounded work). */
const COMMON: Options = { useDefaults: true, removeAdditional: true, allErrors: false };

/**
 * Route schema compilers for Fastify's `schemaController`, loaded when the first route with a
 * schema is set up instead of when Fastify is built: Fastify's defaults load ajv and
 * fast-json-stringify in its constructor, about 50 ms of every boot (and of every dyno wake-up)
 * for an app whose routes have no schema.
 *
 * Validation is ajv, as in Fastify, with one difference: a JSON body is checked as sent. Fastify's
 * default coerces types everywhere, so `{"message": 5}` passes `type: 'string'` as `"5"`; here it
 * is a 400 `body/message must be string`. Query strings, path parameters and headers are text on
 * the wire and keep Fastify's coercion (`?limit=5` passes `type: 'integer'`). ajv's formats
 * (`format: 'email'`) are not loaded: a schema using one fails at startup, naming it.
 *
 * Response schemas use Fastify's own serializer compiler (fast-json-stringify), unchanged.
 */
export const lazySchemaCompilers = {
  buildValidator: (externalSchemas: unknown) => {
    let body: Ajv | undefined;
    let text: Ajv | undefined;
    return ({ schema, httpPart }: { schema: AnySchema; httpPart?: string }) => {
      if (httpPart === 'body') return (body ??= newAjv(externalSchemas, false)).compile(schema);
      return (text ??= newAjv(externalSchemas, 'array')).compile(schema);
    };
  },
  buildSerializer: (externalSchemas, options) => fastifySerializerFactory()(externalSchemas, options),
} satisfies CompilersFactory;

function newAjv(externalSchemas: unknown, coerceTypes: Options['coerceTypes']): Ajv {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  const { default: AjvClass } = require('ajv') as { default: typeof Ajv };
  const ajv = new AjvClass({ ...COMMON, coerceTypes });
  // Schemas shared with `app.addSchema(...)` and referenced by `$ref`.
  for (const shared of Object.values(externalSchemas ?? {})) ajv.addSchema(shared as object);
  return ajv;
}

let serializerFactory: SerializerFactory | undefined;

/** Fastify's default serializer factory, required from where Fastify itself finds it. */
function fastifySerializerFactory(): SerializerFactory {
  if (serializerFactory !== undefined) return serializerFactory;
  const path = require.resolve('@fastify/fast-json-stringify-compiler', {
    paths: [dirname(require.resolve('fastify'))],
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  const selector = require(path) as () => SerializerFactory;
  serializerFactory = selector();
  return serializerFactory;
}
