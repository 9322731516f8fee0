import { CENSORED, censorPrivate } from '../src/censor-private';
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

  it('leaves objects that are not plain whole, and ends on a cycle', () => {
    const buffer = Buffer.from('text');
    const cyclic: Record<string, unknown> = { phrase: 'p' };
    cyclic.self = cyclic;
    const censored = censorPrivate({ buffer, cyclic });
    expect(censored.buffer).toBe(buffer);
    expect(censored.cyclic.phrase).toBe(CENSORED);
  });
});

describe('the logger', () => {
  it("censors a line's object, the bindings of children and grandchildren, and an error's own fields", () => {
    const logs = memoryLogger();
    const child = logs.logger.child({ username: 'ana', session: 's1' });
    const err = Object.assign(new Error('boom'), { text: 'err-heard' });
    child.info({ frame: { value: 'v' }, err }, 'line');
    const [line] = logs.lines();
    expect(line).toEqual(expect.objectContaining({ username: CENSORED, session: 's1', frame: { value: CENSORED }, msg: 'line' }));
    expect(line?.err).toEqual(expect.objectContaining({ message: 'boom', text: CENSORED, type: 'Error' }));
    child.child({ heard: { text: 'grandchild-said' } }).info('nested');
    expect(logs.lines()[1]).toEqual(expect.objectContaining({ username: CENSORED, heard: { text: CENSORED }, msg: 'nested' }));
    expect(logs.text()).not.toMatch(/ana|err-heard|grandchild-said|"v"/);
  });
});
