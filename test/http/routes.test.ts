import { createWorkflowServer, defineRoutes, type WorkflowServer } from '../../src';
import type { RouteEntry, StatusReport } from '../../src/http/status';
import { routes } from '../../src/routes';
import * as hello from '../../src/workflows/hello';
import { memoryLogger } from '../helpers/memory-logger';

/** A route module like a user's: a JSON body checked by schema, a small body limit, and one that fails. */
const messages = defineRoutes((app) => {
  app.post(
    '/api/messages',
    {
      schema: {
        body: {
          type: 'object',
          required: ['message'],
          properties: { message: { type: 'string', maxLength: 200 }, urgent: { type: 'boolean' } },
          additionalProperties: false,
        },
        querystring: { type: 'object', properties: { limit: { type: 'integer' } } },
      },
    },
    (request) => ({ received: request.body, query: request.query }),
  );
  app.post('/api/tiny', { bodyLimit: 16 }, (request) => ({ received: request.body }));
  app.get('/api/broken', () => {
    throw Object.assign(new Error('database password is hunter2 at /srv/app/secret.ts:12'), { code: 'E_PRIVATE' });
  });
  app.get('/api/refuse', () => {
    throw Object.assign(new Error('this item is locked'), { statusCode: 409 });
  });
});

/** The runtime's own routes, listed first. */
const RUNTIME_ROUTES: RouteEntry[] = [
  { path: '/', methods: ['GET', 'HEAD'] },
  { path: '/health', methods: ['GET', 'HEAD'] },
];

const servers: WorkflowServer[] = [];

async function statusReport(server: WorkflowServer): Promise<StatusReport> {
  return (await server.inject({ url: '/', headers: { accept: 'application/json' } })).json<StatusReport>();
}

/** The routes of the app's own modules (src/routes/index.ts), as a server with only them lists them after the runtime's. */
async function routesOfAppModules(): Promise<RouteEntry[]> {
  const server = createWorkflowServer({ logger: memoryLogger().logger, routes });
  servers.push(server);
  const listed = (await statusReport(server)).routes;
  expect(listed.slice(0, RUNTIME_ROUTES.length)).toEqual(RUNTIME_ROUTES);
  return listed.slice(RUNTIME_ROUTES.length);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
afterEach(() => Promise.all(servers.splice(0).map((server) => server.close(0))));

function build(level: 'info' | 'debug' = 'info', bodyLimitBytes?: number) {
  const logs = memoryLogger(level);
  const server = createWorkflowServer({
    logger: logs.logger,
    workflows: { hello },
    routes: [messages, ...routes],
    bodyLimitBytes,
  });
  servers.push(server);
  return { server, logs };
}

const post = (
  server: WorkflowServer,
  payload: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  url = '/api/messages',
) => server.inject({ method: 'POST', url, payload, headers });

describe('route modules (inject)', () => {
  it('runs a route whose JSON body matches its schema, with query strings coerced by schema', async () => {
    const { server } = build();
    const answer = await post(
      server,
      JSON.stringify({ message: 'hi', urgent: true }),
      { 'content-type': 'application/json' },
      '/api/messages?limit=5',
    );
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ received: { message: 'hi', urgent: true }, query: { limit: 5 } });
  });

  it.each([
    ['a number where a string belongs', { message: 5 }, 'body/message must be string'],
    ['a string where a boolean belongs', { message: 'x', urgent: 'yes' }, 'body/urgent must be boolean'],
    ['a missing field', { urgent: true }, "body must have required property 'message'"],
    ['a field too long', { message: 'x'.repeat(201) }, 'body/message must NOT have more than 200 characters'],
  ])('refuses %s with 400 naming the field, before the handler runs', async (_what, body, message) => {
    const { server } = build();
    const answer = await post(server, JSON.stringify(body));
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toEqual({ error: message, requestId: expect.any(String) });
  });

  it('refuses invalid JSON with 400', async () => {
    const { server } = build();
    const answer = await post(server, '{"message": ');
    expect(answer.statusCode).toBe(400);
    expect(answer.json<{ error: string }>().error).toMatch(/JSON/);
  });

  it.each([
    [
      '{"message": "x", "__proto__": {"admin": true}}',
      'Body has a __proto__ key (body/__proto__), which is not allowed',
    ],
    [
      '{"message": "x", "list": [1, {"a": {"__proto__": null}}]}',
      'Body has a __proto__ key (body/list/1/a/__proto__), which is not allowed',
    ],
    ['{"message": "x", "\\u005f_proto__": {}}', 'Body has a __proto__ key (body/__proto__), which is not allowed'],
    [
      '{"message": "x", "constructor": {"prototype": {"admin": true}}}',
      'Body has a constructor key holding a prototype key (body/constructor/prototype), which is not allowed',
    ],
  ])('refuses a body that would poison a prototype with 400 saying which key: %s', async (body, error) => {
    const { server } = build();
    const answer = await post(server, body);
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toEqual({ error, requestId: expect.any(String) });
  });

  it('echoes at most the last 200 characters of a long path to the forbidden key', async () => {
    const { server } = build();
    const long = 'k'.repeat(5000);
    const answer = await post(server, `{"message": "x", "${long}": {"__proto__": 1}}`);
    expect(answer.statusCode).toBe(400);
    const { error } = answer.json<{ error: string }>();
    expect(error).toMatch(/^Body has a __proto__ key \(…k+\/__proto__\), which is not allowed$/);
    expect(error.length).toBeLessThan(300);
  });

  it('takes a constructor key that holds no prototype key, as ordinary data', async () => {
    const { server } = build();
    const answer = await post(server, '{"message": "x", "constructor": 1}');
    expect(answer.statusCode).toBe(200);
  });

  it('refuses an empty JSON body with 400', async () => {
    const { server } = build();
    const answer = await post(server, '');
    expect(answer.statusCode).toBe(400);
    expect(answer.json<{ error: string }>().error).toMatch(/empty/);
  });

  it('parses a deeply nested body without overflowing the stack', async () => {
    const { server } = build();
    const depth = 20_000;
    const answer = await post(server, `{"message": "x", "deep": ${'['.repeat(depth)}${']'.repeat(depth)}}`);
    expect(answer.statusCode).toBe(200);
  });

  it('stops at startup, naming it, on a schema with an ajv format (formats are not loaded)', async () => {
    const server = createWorkflowServer({
      logger: memoryLogger().logger,
      routes: [
        (app) =>
          void app.post(
            '/api/mail',
            { schema: { body: { type: 'object', properties: { to: { type: 'string', format: 'email' } } } } },
            () => ({}),
          ),
      ],
    });
    servers.push(server);
    await expect(server.inject('/api/mail')).rejects.toThrow(/unknown format "email"/);
  });

  it('refuses a body over the server-wide limit (64 KiB by default) with 413', async () => {
    const { server } = build();
    const fits = await post(server, JSON.stringify({ message: 'x'.repeat(100), pad: 'y'.repeat(60_000) }));
    // Under the limit: validated, and the field the schema does not allow removed (as Fastify does).
    expect(fits.statusCode).toBe(200);
    expect(fits.json()).toEqual({ received: { message: 'x'.repeat(100) }, query: {} });
    const big = await post(server, JSON.stringify({ message: 'x', pad: 'y'.repeat(70 * 1024) }));
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({ error: 'Request body is too large', requestId: expect.any(String) });
  });

  it('applies a smaller server-wide limit and a per-route bodyLimit', async () => {
    const { server } = build('info', 1024);
    expect((await post(server, JSON.stringify({ message: 'x'.repeat(1100) }))).statusCode).toBe(413);
    expect((await post(server, '{"a":1}', undefined, '/api/tiny')).statusCode).toBe(200);
    expect((await post(server, '{"a":"0123456789"}', undefined, '/api/tiny')).statusCode).toBe(413);
  });

  it('refuses a body that is not JSON with 415, text/plain included', async () => {
    const { server } = build();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const answer = await post(server, 'message=hi', { 'content-type': type });
      expect(answer.statusCode).toBe(415);
      expect(answer.json<{ error: string }>().error).toContain('Unsupported Media Type');
    }
  });

  it('lets a route module replace the JSON parser for itself, after removing the runtime one', async () => {
    const raw = defineRoutes((app) => {
      app.removeContentTypeParser('application/json');
      app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
      app.post('/api/raw', (request) => ({ length: String(request.body).length }));
    });
    const server = createWorkflowServer({ logger: memoryLogger().logger, routes: [raw, messages] });
    servers.push(server);
    const text = '{"__proto__": 1}';
    expect((await post(server, text, undefined, '/api/raw')).json()).toEqual({ length: text.length });
    expect((await post(server, text)).statusCode).toBe(400);
  });

  it('answers a route that throws with 500, a generic message and the request id, never the error, and logs it once', async () => {
    const { server, logs } = build();
    const answer = await server.inject({
      method: 'GET',
      url: '/api/broken?token=abc',
      headers: { 'x-request-id': 'heroku-req-0123456789' },
    });
    expect(answer.statusCode).toBe(500);
    expect(answer.json()).toEqual({ error: 'Internal Server Error', requestId: 'heroku-req-0123456789' });
    for (const leak of ['hunter2', 'secret.ts', 'stack', 'E_PRIVATE']) expect(answer.body).not.toContain(leak);
    const errors = logs.lines().filter((line) => line.level === 'error');
    expect(errors).toEqual([
      expect.objectContaining({
        msg: 'route failed; answered 500',
        requestId: 'heroku-req-0123456789',
        method: 'GET',
        path: '/api/broken',
      }),
    ]);
    expect(errors[0]!.err).toMatchObject({ message: expect.stringContaining('hunter2') });
    expect(logs.text()).not.toContain('token=abc');
  });

  it('passes a 4xx a route throws on to the caller with its message', async () => {
    const { server } = build();
    const answer = await server.inject('/api/refuse');
    expect(answer.statusCode).toBe(409);
    expect(answer.json()).toEqual({ error: 'this item is locked', requestId: expect.any(String) });
  });

  it("takes Heroku's X-Request-Id as the request id when well-formed, and makes one otherwise", async () => {
    const { server } = build();
    const heroku = await post(server, '{}', { 'content-type': 'application/json', 'x-request-id': 'abc-123_X.Y:z' });
    expect(heroku.json<{ requestId: string }>().requestId).toBe('abc-123_X.Y:z');
    for (const bad of ['<script>', 'x'.repeat(201), 'a b']) {
      const made = await post(server, '{}', { 'content-type': 'application/json', 'x-request-id': bad });
      expect(made.json<{ requestId: string }>().requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('keeps the 404 that lists workflows, and answers 405 with Allow for a known path', async () => {
    const { server } = build();
    const missing = await server.inject('/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toBe('application/json');
    expect(missing.json()).toEqual({ error: 'not found', workflows: ['/hello'] });
    const wrongMethod = await server.inject({ method: 'DELETE', url: '/health' });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET, HEAD');
    const getMessages = await server.inject('/api/messages');
    expect(getMessages.statusCode).toBe(405);
    expect(getMessages.headers.allow).toBe('POST');
  });

  it('answers a URL that cannot be decoded with 400 in the same shape', async () => {
    const { server } = build();
    const answer = await server.inject('/api/workflows/%E0%A4%A');
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toEqual({
      error: expect.stringContaining('is not a valid url component'),
      requestId: expect.any(String),
    });
  });

  it('serves the sample route GET /api/workflows', async () => {
    const { server } = build();
    const answer = await server.inject('/api/workflows');
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ workflows: ['hello'] });
  });

  it("lists every route, method and path, on the status page (JSON and HTML): the runtime's, then each module's", async () => {
    const { server } = build();
    const report = await statusReport(server);
    const appRoutes = await routesOfAppModules();
    expect(report.routes).toEqual([
      ...RUNTIME_ROUTES,
      { path: '/api/messages', methods: ['POST'] },
      { path: '/api/tiny', methods: ['POST'] },
      { path: '/api/broken', methods: ['GET', 'HEAD'] },
      { path: '/api/refuse', methods: ['GET', 'HEAD'] },
      ...appRoutes,
    ]);
    // The project's own modules, whatever else src/routes/index.ts lists.
    expect(appRoutes).toEqual(
      expect.arrayContaining([
        { path: '/api/workflows', methods: ['GET', 'HEAD'] },
        { path: '/hooks/broadcast', methods: ['POST'] },
        { path: '/hooks/transport/:requestId', methods: ['POST'] },
      ]),
    );
    const page = (await server.inject('/')).body;
    expect(page).toContain(`<h2>HTTP routes (${report.routes.length})</h2>`);
    for (const { path, methods } of report.routes)
      expect(page).toContain(`<li><code>${escapeHtml(methods.join(', '))} ${escapeHtml(path)}</code></li>`);
  });

  it('serves every route the status page lists, with each method it lists (HEAD as its GET)', async () => {
    const { server } = build();
    for (const { path, methods } of (await statusReport(server)).routes) {
      const url = path.replace(/:[^/]+|\*/g, 'x');
      const answers = new Map<string, { status: number; body: string }>();
      for (const method of methods) {
        const answer = await server.inject({ method: method as 'GET', url });
        answers.set(method, { status: answer.statusCode, body: answer.body });
      }
      for (const [method, { status, body }] of answers) {
        const reached = { method, path, reached: status !== 405 && !(status === 404 && body.includes('"workflows"')) };
        expect(reached).toEqual({ method, path, reached: true });
        if (method === 'HEAD' && answers.has('GET')) expect(status).toBe(answers.get('GET')!.status);
      }
    }
  });

  it('logs nothing per request at info, and at debug one line without query string, headers or body', async () => {
    const quiet = build('info');
    await post(
      quiet.server,
      JSON.stringify({ message: 'private words' }),
      { 'content-type': 'application/json', authorization: 'Bearer s3cr3t' },
      '/api/messages?token=t0k3n',
    );
    expect(quiet.logs.lines()).toEqual([]);
    const debug = build('debug');
    await post(
      debug.server,
      JSON.stringify({ message: 'private words' }),
      { 'content-type': 'application/json', authorization: 'Bearer s3cr3t' },
      '/api/messages?token=t0k3n',
    );
    const lines = debug.logs.lines().filter((line) => line.msg === 'request answered');
    expect(lines).toEqual([
      expect.objectContaining({ method: 'POST', path: '/api/messages', status: 200, requestId: expect.any(String) }),
    ]);
    for (const secret of ['private words', 's3cr3t', 't0k3n']) expect(debug.logs.text()).not.toContain(secret);
  });

  it('adds route modules with the chainable routes() verb, and refuses them once started', async () => {
    const logs = memoryLogger();
    const server = createWorkflowServer({ logger: logs.logger }).routes(
      defineRoutes((app) => void app.get('/api/a', () => ({ a: 1 }))),
    );
    servers.push(server);
    expect((await server.inject('/api/a')).json()).toEqual({ a: 1 });
    expect(() => server.routes(() => undefined)).toThrow(
      'routes() was called after the server started: add every route module before listen() or inject()',
    );
    expect(() => server.routes('nope' as never)).toThrow('routes() needs a function');
  });

  it('lets an async route module await before adding routes', async () => {
    const server = createWorkflowServer({ logger: memoryLogger().logger }).routes(async (app) => {
      await new Promise((resolve) => setImmediate(resolve));
      app.get('/api/late', () => ({ late: true }));
    });
    servers.push(server);
    expect((await server.inject('/api/late')).json()).toEqual({ late: true });
  });

  it('resolves a body schema shared with addSchema, and serializes by a response schema (only its fields)', async () => {
    const shared = defineRoutes((app) => {
      app.addSchema({ $id: 'note', type: 'object', required: ['text'], properties: { text: { type: 'string' } } });
      app.post('/api/notes', {
        schema: {
          body: { $ref: 'note#' },
          response: { 200: { type: 'object', properties: { text: { type: 'string' } } } },
        },
        handler: (request) => ({ ...(request.body as object), internal: 'not for the caller' }),
      });
    });
    const server = createWorkflowServer({ logger: memoryLogger().logger, routes: [shared] });
    servers.push(server);
    const ok = await post(server, JSON.stringify({ text: 'hi' }), undefined, '/api/notes');
    expect(ok.json()).toEqual({ text: 'hi' });
    const bad = await post(server, JSON.stringify({ text: 1 }), undefined, '/api/notes');
    expect(bad.json()).toMatchObject({ error: 'body/text must be string' });
  });

  it('answers HEAD on a route module GET route without a body', async () => {
    const { server } = build();
    const head = await server.inject({ method: 'HEAD', url: '/api/workflows' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });
});
