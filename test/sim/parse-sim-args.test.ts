import { parseSimArgs } from '../../src/sim/parse-sim-args';

describe('parseSimArgs', () => {
  it('builds the URL from the workflow and the port, and reads every flag', () => {
    const parsed = parseSimArgs(
      ['alarm', '--trigger', 'http', '--arg', 'site=HQ', '--var', 'greeting=Hi=there', '--device', 'Bo', '--group', 'Ops=Bo,Cy', '--speedup', '100', '--gap', '20', '--transcript'],
      5006,
    );
    expect(parsed).toEqual({
      kind: 'run',
      options: {
        url: 'ws://localhost:5006/alarm',
        trigger: { type: 'http', args: { site: 'HQ' } },
        vars: { greeting: 'Hi=there' },
        groups: { Ops: ['Bo', 'Cy'] },
        deviceName: 'Bo',
        timerSpeedup: 100,
        promptGapMs: 20,
        transcript: true,
      },
    });
  });

  it('reads who acknowledges and after how long', () => {
    expect(parseSimArgs(['panic', '--ack', 'Carol,Bob', '--ack-after', '2000'], 8080)).toMatchObject({ options: { acknowledgers: ['Carol', 'Bob'], ackDelayMs: 2000 } });
    expect(parseSimArgs(['panic', '--ack', 'none'], 8080)).toMatchObject({ options: { acknowledgers: 'none' } });
    expect(parseSimArgs(['panic'], 8080)).not.toHaveProperty('options.acknowledgers');
  });

  it('prefers --url, and takes --phrase and nfc payloads', () => {
    expect(parseSimArgs(['--url', 'ws://x:1/y', '--phrase', 'open up'], 8080)).toMatchObject({ options: { url: 'ws://x:1/y', trigger: { type: 'phrase', phrase: 'open up' } } });
    expect(parseSimArgs(['t', '--trigger', 'nfc', '--arg', 'room=3'], 8080)).toMatchObject({ options: { trigger: { type: 'nfc', nfcPayload: { room: '3' } } } });
  });

  it.each([
    [[], 'name the workflow'],
    [['a', 'b'], 'unexpected argument'],
    [['a', '--var', 'novalue'], '--var takes key=value'],
    [['a', '--port', 'x'], '--port must be'],
    [['a', '--speedup', '0'], '--speedup must be'],
    [['a', '--ack-after', 'soon'], '--ack-after must be'],
    [['a', '--bogus'], 'bogus'],
  ])('explains a mistake: %j', (argv, message) => {
    expect(parseSimArgs(argv, 8080)).toEqual({ kind: 'error', message: expect.stringContaining(message) });
  });
});
