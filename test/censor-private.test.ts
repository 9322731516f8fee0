import { boundForLog, CENSORED, censorPrivate, MAX_LOGGED_CHARS, TOO_DEEP, truncate } from '../src/logger';
import { memoryLogger } from './helpers/memory-logger';

describe('censorPrivate', () => {
  it('censors private fields at the top, nested in objects and arrays, and deeper than pino paths reached', () => {
    const line = {
      text: 'said',
      count: 2,
      frame: { phrases: ['help'], args: { value: 'v', keep: 'k' } },
      items: [{ transcript: 't' }, 'plain'],
      deep: { a: { b: { c: { username: 'ana' } } } },
    };
    expect(censorPrivate(line)).toEqual({
      text: CENSORED,
      count: 2,
      frame: { phrases: CENSORED, args: { value: CENSORED, keep: 'k' } },
      items: [{ transcript: CENSORED }, 'plain'],
      deep: { a: { b: { c: { username: CENSORED } } } },
    });
  });

  it('never changes the object it is given, and returns it as is when nothing is private', () => {
    const nested = { audio: 'base64' };
    const line = { outer: nested, list: [nested] };
    const censored = censorPrivate(line);
    expect(nested.audio).toBe('base64');
    expect(censored.outer).not.toBe(nested);
    const clean = { durationMs: 12, endedBy: 'peer-closed', frame: { _type: 'x', fields: ['text'] } };
    expect(censorPrivate(clean)).toBe(clean);
  });

  it('censors errors and class instances as JSON would write them, keeping their prototype, message and stack', () => {
    class Heard {
      constructor(readonly text: string) {}
    }
    const error = Object.assign(new Error('boom'), { text: 'err-said' });
    const frozen = Object.freeze({ phrase: 'frozen-said' });
    const censored = censorPrivate({ error, list: [new Heard('instance-said')], frozen });
    expect(censored.error).toBeInstanceOf(Error);
    expect(censored.error.message).toBe('boom');
    expect(censored.error.stack).toBe(error.stack);
    expect(censored.error.text).toBe(CENSORED);
    expect(error.text).toBe('err-said');
    expect(censored.list[0]).toBeInstanceOf(Heard);
    expect(censored.list[0]?.text).toBe(CENSORED);
    expect(censored.frozen.phrase).toBe(CENSORED);
  });

  it('leaves objects with their own toJSON whole (a Buffer becomes its size), and puts [too deep] past 8 levels, so a cycle ends', () => {
    const date = new Date(0);
    const cyclic: Record<string, unknown> = { phrase: 'cycle-said' };
    cyclic.self = cyclic;
    const censored = censorPrivate({ date, buffer: Buffer.from('text'), cyclic });
    expect(censored.date).toBe(date);
    expect(censored.buffer).toBe('[4 bytes]');
    let level: unknown = censored.cyclic;
    let depth = 1;
    while (typeof level === 'object' && level !== null) {
      expect((level as Record<string, unknown>).phrase).toBe(CENSORED);
      level = (level as Record<string, unknown>).self;
      depth += 1;
    }
    expect(level).toBe(TOO_DEEP);
    expect(depth).toBe(9);
  });
});

describe('bounds on a log line', () => {
  it('cuts long strings, long arrays and objects with many keys, in plain values and in errors, private data or not', () => {
    const huge = 'u'.repeat(1_000_000);
    const line = {
      uri: huge,
      list: Array.from({ length: 1000 }, (_, i) => i),
      wide: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i])),
      nested: { deeper: [huge] },
    };
    for (const bound of [censorPrivate, boundForLog]) {
      const out = bound(line);
      expect(out.uri).toBe(truncate(huge));
      expect(out.uri.length).toBeLessThan(MAX_LOGGED_CHARS + 40);
      expect(out.list).toHaveLength(21);
      expect(out.list[20]).toBe('…980 more items');
      expect(Object.keys(out.wide)).toHaveLength(51);
      expect(out.nested.deeper[0]?.length).toBeLessThan(MAX_LOGGED_CHARS + 40);
      expect(JSON.stringify(out).length).toBeLessThan(5_000);
    }
    expect(line.uri).toBe(huge);
    expect(boundForLog({ text: 'said' }).text).toBe('said');
  });

  it('keeps every line of the logger under a few KB, whatever the error message or fields hold', () => {
    for (const logPrivateData of [false, true]) {
      const logs = memoryLogger('debug', { logPrivateData });
      const value = 'x'.repeat(4_000_000);
      logs.logger
        .child({ session: 's' })
        .error({ err: new Error(`bad source_uri ${value}`), value, frame: { source_uri: value } }, 'failed');
      expect(logs.lines()).toHaveLength(1);
      expect(logs.text().length).toBeLessThan(6_000);
    }
  });
});

describe('the logger', () => {
  it("censors a line's object, the bindings of children and grandchildren, and an error's own fields", () => {
    const logs = memoryLogger();
    const child = logs.logger.child({ username: 'ana', session: 's1' });
    const err = Object.assign(new Error('boom'), { text: 'err-heard' });
    child.info({ frame: { value: 'v' }, err }, 'line');
    const [line] = logs.lines();
    expect(line).toEqual(
      expect.objectContaining({ username: CENSORED, session: 's1', frame: { value: CENSORED }, msg: 'line' }),
    );
    expect(line?.err).toEqual(expect.objectContaining({ message: 'boom', text: CENSORED, type: 'Error' }));
    expect(String((line?.err as { stack?: unknown } | undefined)?.stack)).toContain('boom');
    child.child({ heard: { text: 'grandchild-said' } }).info('nested');
    expect(logs.lines()[1]).toEqual(
      expect.objectContaining({ username: CENSORED, heard: { text: CENSORED }, msg: 'nested' }),
    );
    expect(logs.text()).not.toMatch(/ana|err-heard|grandchild-said|"v"/);
  });

  it('censors bindings set later, errors nested in causes and lists, and a cycle, and logs a non-error err as it is', () => {
    const logs = memoryLogger();
    const child = logs.logger.child({ session: 's2' });
    child.setBindings({ transcript: 'set-later-said' });
    const cause = Object.assign(new Error('inner'), { audio: 'cause-said' });
    const cyclic: Record<string, unknown> = { phrase: 'cycle-said' };
    cyclic.self = cyclic;
    child.error(
      { err: new Error('outer', { cause }), errors: [Object.assign(new Error('x'), { text: 'listed-said' })], cyclic },
      'failed',
    );
    child.error({ err: 'a plain reason' }, 'rejected');
    const [failed, rejected] = logs.lines();
    expect(failed).toEqual(expect.objectContaining({ session: 's2', transcript: CENSORED, msg: 'failed' }));
    expect(rejected).toEqual(expect.objectContaining({ err: 'a plain reason', msg: 'rejected' }));
    expect(logs.text()).not.toMatch(/-said/);
  });
});
