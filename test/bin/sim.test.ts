import { parseCloudArgs, parseSimArgs } from '../../src/bin/sim';

describe('parseSimArgs', () => {
  it('builds the URL from the workflow and the port, and reads every flag', () => {
    const parsed = parseSimArgs(
      [
        'alarm',
        '--trigger',
        'http',
        '--trigger-arg',
        'site=HQ',
        '--arg',
        'greeting=Hi=there',
        '--device',
        'Bo',
        '--group',
        'Ops=Bo,Cy',
        '--speedup',
        '100',
        '--gap',
        '20',
        '--transcript',
      ],
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
    expect(parseSimArgs(['panic', '--ack', 'Carol,Bob', '--ack-after', '2000'], 8080)).toMatchObject({
      options: { acknowledgers: ['Carol', 'Bob'], ackDelayMs: 2000 },
    });
    expect(parseSimArgs(['panic', '--ack', 'none'], 8080)).toMatchObject({ options: { acknowledgers: 'none' } });
    expect(parseSimArgs(['panic'], 8080)).not.toHaveProperty('options.acknowledgers');
  });

  it('prefers --url, and takes --phrase and nfc payloads', () => {
    expect(parseSimArgs(['--url', 'ws://x:1/y', '--phrase', 'open up'], 8080)).toMatchObject({
      options: { url: 'ws://x:1/y', trigger: { type: 'phrase', phrase: 'open up' } },
    });
    expect(parseSimArgs(['t', '--trigger', 'nfc', '--trigger-arg', 'room=3'], 8080)).toMatchObject({
      options: { trigger: { type: 'nfc', nfcPayload: { room: '3' } } },
    });
  });

  it('reads --arg as a registration arg (what getVar reads), as relay workflow:create --arg does, whatever the trigger', () => {
    const parsed = parseSimArgs(['hello', '--arg', 'greeting=Hi', '--arg', '__proto__=x'], 8080);
    expect(parsed).toMatchObject({ kind: 'run', options: { vars: { greeting: 'Hi' }, trigger: { type: 'phrase' } } });
    const vars = parsed.kind === 'run' ? parsed.options.vars : {};
    expect(Object.hasOwn(vars, '__proto__')).toBe(true);
    expect(parsed).not.toHaveProperty('options.trigger.args');
  });

  it.each([
    [[], 'name the workflow'],
    [['a', 'b'], 'unexpected argument'],
    [['a', '--arg', 'novalue'], '--arg takes key=value'],
    [['a', '--trigger-arg', '=x'], '--trigger-arg takes key=value'],
    [['a', '--trigger-arg', 'site=HQ'], '--trigger-arg needs --trigger http or nfc'],
    [['a', '--var', 'greeting=Hi'], '--var is now --arg'],
    [['a', '--port', 'x'], '--port must be'],
    [['a', '--speedup', '0'], '--speedup must be'],
    [['a', '--ack-after', 'soon'], '--ack-after must be'],
    [['a', '--bogus'], 'bogus'],
  ])('explains a mistake: %j', (argv, message) => {
    expect(parseSimArgs(argv, 8080)).toEqual({ kind: 'error', message: expect.stringContaining(message) });
  });
});

describe('parseCloudArgs', () => {
  it('reads every flag', () => {
    expect(
      parseCloudArgs([
        '--register',
        'wf_a=ws://h:1/a',
        '--register',
        'wf_b=wss://x.test/b',
        '--port',
        '4100',
        '--host',
        '0.0.0.0',
        '--api-key',
        'k',
        '--subscriber-id',
        's',
        '--answer',
        'yes',
        '--group',
        'Floor 2=Bob,Carol',
        '--group',
        'Empty=',
      ]),
    ).toEqual({
      kind: 'run',
      options: {
        port: 4100,
        host: '0.0.0.0',
        workflows: new Map([
          ['wf_a', 'ws://h:1/a'],
          ['wf_b', 'wss://x.test/b'],
        ]),
        apiKey: 'k',
        subscriberId: 's',
        answers: ['yes'],
        groups: { 'Floor 2': ['Bob', 'Carol'], Empty: [] },
      },
    });
  });

  it.each([
    [['--register', 'wf_a'], '--register takes <workflow id>=<ws:// or wss:// URL>, got "wf_a"'],
    [['--register', 'wf_a=http://h/a'], '--register takes <workflow id>=<ws:// or wss:// URL>, got "wf_a=http://h/a"'],
    [
      ['--register', 'wf_a=ws://h/a', '--port', '70000'],
      '--port must be a port number (0 for a free one), got "70000"',
    ],
    [['--nope'], "Unknown option '--nope'"],
    [['--register', 'wf_a=ws://h/a', '--group', 'Bob,Carol'], '--group takes key=value, got "Bob,Carol"'],
  ])('refuses %j', (argv, message) => {
    expect(parseCloudArgs(argv)).toEqual({ kind: 'error', message: expect.stringContaining(message) });
  });

  it('runs with no flag at all: npm run register brings the registrations', () => {
    expect(parseCloudArgs([])).toEqual({
      kind: 'run',
      options: { port: 0, host: '127.0.0.1', workflows: new Map(), answers: [], groups: {} },
    });
  });

  it('answers --help', () => {
    expect(parseCloudArgs(['-h'])).toEqual({ kind: 'help' });
  });
});
