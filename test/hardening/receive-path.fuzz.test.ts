import fc from 'fast-check';
import WebSocket from 'ws';
import { createWorkflowServer, Event, type Workflow, type WorkflowServer } from '../../src';
import { simulate } from '../../src/testing';
import hello from '../../src/workflows/hello';
import { memoryLogger } from '../helpers/memory-logger';
import { startEvent } from '../helpers/relay-peer';

/**
 * Property: whatever a peer sends, in whatever order around a valid start, its session either
 * handles the frames or closes with a protocol close code, and the process sees no uncaught
 * exception and no unhandled rejection. Afterwards every session is gone and no byte is held.
 */

/** Every name an object inherits: looked up on a plain object, each finds something. */
const INHERITED = [...Object.getOwnPropertyNames(Object.prototype), 'prototype'];
const EVENT_NAMES = Object.values(Event).filter((name) => name !== Event.ERROR);
const FIELDS = ['trigger', 'type', 'source_uri', 'request_id', 'button', 'taps', 'name', 'id', 'text', 'args', 'error'];
const CLOSE_CODES = new Set([1002, 1003, 1007, 1008, 1009, 1011]);

const typeName = fc.oneof(
  fc.constantFrom(...EVENT_NAMES, ...INHERITED).map((name) => `wf_api_${name}_event`),
  fc.constantFrom(...INHERITED),
  fc.constantFrom('wf_api_say_response', 'wf_api_error_response', 'wf_api_progress_event'),
  fc.string({ maxLength: 30 }),
);

/** A JSON value with strange shapes: objects whose keys are inherited names, e.g. `{"toString": 1}`. */
const value: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    fc.dictionary(fc.constantFrom(...INHERITED, ...FIELDS), tie('value'), { maxKeys: 4 }),
    fc.array(tie('value'), { maxLength: 4 }),
  ),
})).value;

/** One frame's text, built by hand so that keys such as `__proto__` appear in it literally. */
const objectFrame = fc
  .tuple(
    fc.option(typeName, { nil: undefined }),
    fc.option(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { nil: undefined, freq: 3 }),
    fc.array(fc.tuple(fc.constantFrom(...FIELDS, ...INHERITED, '_type'), value), { maxLength: 5 }),
  )
  .map(([type, id, fields]) => {
    const entries: string[] = [];
    if (type !== undefined) entries.push(`"_type":${JSON.stringify(type)}`);
    if (id !== undefined) entries.push(`"_id":${JSON.stringify(id)}`);
    for (const [key, field] of fields) entries.push(`${JSON.stringify(key)}:${JSON.stringify(field) ?? 'null'}`);
    return `{${entries.join(',')}}`;
  });

type Sent = { data: string | Buffer; binary: boolean };

const frame: fc.Arbitrary<Sent> = fc.oneof(
  { arbitrary: objectFrame.map((data) => ({ data, binary: false })), weight: 8 },
  { arbitrary: fc.jsonValue().map((json) => ({ data: JSON.stringify(json) ?? 'null', binary: false })), weight: 1 },
  { arbitrary: fc.string({ maxLength: 20 }).map((data) => ({ data, binary: false })), weight: 1 },
  {
    arbitrary: fc.uint8Array({ maxLength: 16 }).map((bytes) => ({ data: Buffer.from(bytes), binary: true })),
    weight: 1,
  },
);

/** Random frames with a valid start event somewhere among them (or none at all). */
const session = fc
  .tuple(fc.array(frame, { maxLength: 12 }), fc.option(fc.nat(), { nil: undefined }))
  .map(([frames, at]) => {
    if (at === undefined) return frames;
    const start: Sent = { data: JSON.stringify(startEvent()), binary: false };
    const copy = frames.slice();
    copy.splice(at % (copy.length + 1), 0, start);
    return copy;
  });

/** How many handlers ran to their end across all runs: the property is only worth something if many did. */
const handled = { count: 0 };

/** A workflow that handles every event the way sample code does: it reads fields and acts. */
function everything(workflow: Workflow): void {
  for (const name of EVENT_NAMES) {
    workflow.on(name, async (event: Record<string, unknown>) => {
      const trigger = event.trigger as { args: { source_uri: string } } | undefined;
      const target = trigger?.args.source_uri ?? (event.source_uri as string);
      await workflow.say([target], `got ${name} ${String(event.type)}`);
      handled.count += 1;
    });
  }
  workflow.on(Event.ERROR, () => undefined);
}

describe('the receive path, fuzzed', () => {
  let server: WorkflowServer;
  let port: number;
  const failures: unknown[] = [];
  let failed: () => void = () => undefined;
  /** Resolves at the first uncaught exception or unhandled rejection, so a broken server fails the run at once rather than by timeout. */
  const firstFailure = new Promise<void>((resolve) => (failed = resolve));
  const onFailure = (error: unknown) => {
    failures.push(error);
    failed();
  };

  beforeAll(async () => {
    process.on('uncaughtException', onFailure);
    process.on('unhandledRejection', onFailure);
    server = createWorkflowServer({
      logger: memoryLogger('info').logger,
      workflows: { everything, hello },
      config: { maxPayloadBytes: 64 * 1024, startTimeoutMs: 5_000 },
    });
    ({ port } = await server.listen(0, '127.0.0.1'));
  });

  afterAll(async () => {
    await server.close(0);
    process.off('uncaughtException', onFailure);
    process.off('unhandledRejection', onFailure);
  });

  /** Sends the frames on a fresh session, then ends it; resolves with the close code the server sent, if it closed first. */
  async function play(frames: Sent[]): Promise<number | undefined> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/everything`);
    let closedBy: number | undefined;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.once('close', (code) => (closedBy ??= code));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    // Every request is answered, as Relay would, so handlers finish and queued events reach the drain.
    socket.on('message', (data: Buffer) => {
      const request = JSON.parse(data.toString()) as { _id?: string; _type: string };
      if (request._id !== undefined && request._type.endsWith('_request') && socket.readyState === WebSocket.OPEN) {
        socket.send(
          JSON.stringify({ _id: request._id, _type: request._type.replace(/_request$/, '_response'), id: request._id }),
        );
      }
    });
    for (const { data, binary } of frames) socket.send(data, { binary });
    // A round trip: every frame above has reached the server and been routed when the pong is back.
    const roundTrip = new Promise<void>((resolve) => {
      if (socket.readyState !== WebSocket.OPEN) return resolve();
      socket.once('pong', () => resolve());
      socket.once('close', () => resolve());
      socket.ping();
    });
    await Promise.race([roundTrip, firstFailure]);
    const serverClosed = socket.readyState !== WebSocket.OPEN;
    if (!serverClosed) socket.terminate();
    await Promise.race([closed, firstFailure]);
    return serverClosed ? closedBy : undefined;
  }

  it('closes or handles every session, and the process never sees an uncaught error', async () => {
    await fc.assert(
      fc.asyncProperty(session, async (frames) => {
        const code = await play(frames);
        if (code !== undefined) expect(CLOSE_CODES).toContain(code);
        expect(failures).toEqual([]);
      }),
      { numRuns: 2_000 },
    );
    expect(failures).toEqual([]);
    expect(handled.count).toBeGreaterThan(100);
    while (server.sessions > 0) await new Promise((resolve) => setImmediate(resolve));
    expect(server.bufferedBytes).toBe(0);
    expect(failures).toEqual([]);
    const run = await simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['Hal'] });
    expect(run.says).toEqual(['What is your name?', 'Hello Hal!']);
  }, 120_000);

  it.each(INHERITED)('survives wf_api_%s_event as the first frame and keeps the session usable', async (name) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/hello`);
    await new Promise((resolve) => socket.once('open', resolve));
    const firstRequest = new Promise<string>((resolve) =>
      socket.once('message', (data: Buffer) => resolve(data.toString())),
    );
    socket.send(`{"_type":"wf_api_${name}_event"}`);
    socket.send(JSON.stringify(startEvent()));
    await Promise.race([firstRequest, firstFailure]);
    socket.terminate();
    expect(failures).toEqual([]);
    expect(JSON.parse(await firstRequest)).toMatchObject({ _type: 'wf_api_start_interaction_request' });
  });
});
