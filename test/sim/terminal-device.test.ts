import { PassThrough } from 'node:stream';
import { createWorkflow, createWorkflowServer, Event, type WorkflowServer } from '../../src';
import { parseSimArgs } from '../../src/bin/sim';
import { routes } from '../../src/routes';
import { explainSilentEnd, runTerminalDevice, spelledOut } from '../../src/sim/terminal-device';
import { simulate } from '../../src/testing';
import * as broadcast from '../../src/workflows/broadcast';
import * as hello from '../../src/workflows/hello';
import * as panic from '../../src/workflows/panic';
import * as transport from '../../src/workflows/transport';
import { memoryLogger } from '../helpers/memory-logger';

/** Resolves with everything written to `stream` once it contains `text`. */
function whenWritten(stream: PassThrough, text: string): Promise<string> {
  let seen = '';
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve(seen);
    });
  });
}

describe('the terminal device, in process', () => {
  let server: WorkflowServer;
  let port: number;

  beforeAll(async () => {
    const failing = createWorkflow((workflow) => {
      workflow.on(Event.START, () => {
        throw new Error('handler failed on purpose');
      });
    });
    server = createWorkflowServer({ config: { logLevel: 'silent' }, workflows: { failing } });
    ({ port } = await server.listen(0, '127.0.0.1'));
  });

  afterAll(() => server.close(0));

  it('hints at the server log when a failed handler leaves the workflow silent, and /quit hangs up with status 1', async () => {
    const parsed = parseSimArgs(['failing', '--port', String(port)], 8080);
    if (parsed.kind !== 'run') throw new Error('bad arguments');
    parsed.options.url = parsed.options.url.replace('localhost', '127.0.0.1');
    const input = new PassThrough();
    const output = new PassThrough();
    const errorOutput = new PassThrough();
    const hint = whenWritten(output, "the server's log says why");
    const hungUp = whenWritten(errorOutput, 'you hung up');
    const status = runTerminalDevice({
      options: parsed.options,
      input,
      output,
      errorOutput,
      interactive: true,
      idleHintMs: 50,
    });
    await hint;
    input.write('/quit\n');
    expect(await status).toBe(1);
    await hungUp;
  });
});

describe('the terminal device when the server restarts', () => {
  it('says the server restarted and exits with status 1 when its session is closed with 1012 (npm run dev)', async () => {
    const server = createWorkflowServer({ config: { logLevel: 'silent' }, workflows: { hello } });
    const { port } = await server.listen(0, '127.0.0.1');
    const parsed = parseSimArgs(['hello', '--port', String(port)], 8080);
    if (parsed.kind !== 'run') throw new Error('bad arguments');
    parsed.options.url = parsed.options.url.replace('localhost', '127.0.0.1');
    const output = new PassThrough();
    const errorOutput = new PassThrough();
    const listening = whenWritten(output, 'listening');
    const said = whenWritten(errorOutput, '\n');
    const status = runTerminalDevice({
      options: parsed.options,
      input: new PassThrough(),
      output,
      errorOutput,
      interactive: true,
    });
    await listening;
    await server.closeForRestart();
    expect(await status).toBe(1);
    expect(await said).toBe(
      'sim: the server restarted (npm run dev restarts it on every change); run the simulator again for a new session\n',
    );
  });
});

describe('the terminal device playing the panic sample', () => {
  let server: WorkflowServer;
  let port: number;

  beforeAll(async () => {
    server = createWorkflowServer({ config: { logLevel: 'silent' }, workflows: { panic } });
    ({ port } = await server.listen(0, '127.0.0.1'));
  });

  afterAll(() => server.close(0));

  /** Runs `npm run sim -- panic <flags>` in process with piped `lines`; resolves with the status and output. */
  async function sim(flags: string[], lines: string[] = []): Promise<{ status: number; output: string }> {
    const parsed = parseSimArgs(['--url', `ws://127.0.0.1:${port}/panic`, ...flags], 8080);
    if (parsed.kind !== 'run') throw new Error('bad arguments');
    const input = new PassThrough();
    const output = new PassThrough();
    let written = '';
    output.on('data', (chunk: Buffer) => (written += chunk.toString()));
    input.end(lines.map((line) => `${line}\n`).join(''));
    const status = await runTerminalDevice({
      options: parsed.options,
      input,
      output,
      errorOutput: new PassThrough(),
      interactive: false,
    });
    return { status, output: written };
  }

  it('shows the alarm flow with --ack and --ack-after: the named responder acknowledges and the others no longer can', async () => {
    const { status, output } = await sim(['--group', 'Security=Bob,Carol', '--ack', 'Carol,Bob', '--ack-after', '20']);
    expect(status).toBe(0);
    const flow = [
      'LED ring flashing red',
      'says: Calling for help',
      'sends alert "panic"',
      'Carol acknowledges "panic"',
      'cancels notification "panic"',
      'says: Carol is on the way.',
      'workflow terminated',
    ];
    const positions = flow.map((line) => output.indexOf(line));
    expect(positions.every((at) => at >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('lets the person cancel with /double when --ack none leaves the alarm waiting', async () => {
    const { status, output } = await sim(['--group', 'Security=Bob', '--ack', 'none'], ['/double']);
    expect(status).toBe(0);
    expect(output).toContain('double press on the action button');
    expect(output).toContain('says: Alarm cancelled.');
  });
});

describe('the transport sample, followed as docs/samples.md "Try it locally" tells', () => {
  const SECRET = 'local-secret-0123456789';
  let server: WorkflowServer;
  let port: number;
  const logs = memoryLogger();

  beforeAll(async () => {
    server = createWorkflowServer({
      logger: logs.logger,
      config: { webhookSecret: SECRET },
      workflows: { transport },
      routes,
    });
    ({ port } = await server.listen(0, '127.0.0.1'));
  });

  afterAll(() => server.close(0));

  it('shows the request id as the person copies it, in the simulator and the log line, and the curl reaches the wearer', async () => {
    const parsed = parseSimArgs(
      ['transport', '--port', String(port), '--phrase', 'request transport', '--device', 'Ana'],
      8080,
    );
    if (parsed.kind !== 'run') throw new Error('bad arguments');
    parsed.options.url = parsed.options.url.replace('localhost', '127.0.0.1');
    const input = new PassThrough();
    const output = new PassThrough();
    let written = '';
    output.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const told = whenWritten(output, 'Your request number is');
    const status = runTerminalDevice({
      options: parsed.options,
      input,
      output,
      errorOutput: new PassThrough(),
      interactive: false,
    });
    input.write('12 B\n');
    const shown = await told;
    const line = shown.split('\n').find((text) => text.includes('Your request number is')) ?? '';
    // What the person sees and copies: the spaced spoken form, and the compact id beside it.
    const id = /\(spelled out: ([0-9a-f]{6})\)$/.exec(line)?.[1];
    expect(line).toMatch(/number is ([0-9a-f] ){5}[0-9a-f]\./);
    expect(id).toBeDefined();
    // The server's log names the same id and the path to post to, under the hook's field name.
    const warning = logs.lines().find((entry) => String(entry.msg).startsWith('DISPATCH_WEBHOOK_URL is not set'));
    expect(warning).toMatchObject({ transportRequest: id, msg: expect.stringContaining(`/hooks/transport/${id} `) });
    expect(warning).not.toHaveProperty('requestId');

    const spaced = await fetch(
      `http://127.0.0.1:${port}/hooks/transport/${encodeURIComponent(line.replace(/.*number is (.*)\. .*/, '$1'))}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
        body: '{"status": "arriving"}',
      },
    );
    expect(spaced.status).toBe(400);
    const answer = await fetch(`http://127.0.0.1:${port}/hooks/transport/${id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
      body: '{"status": "arriving"}',
    });
    expect(answer.status).toBe(202);
    expect(await status).toBe(0);
    expect(written).toContain('says: Your transport is arriving.');
  });
});

describe('spelledOut', () => {
  it.each([
    ['No dispatch system is set up. Your request number is d 6 0 e c c.', ['d60ecc']],
    ['Codes 1 2 3 4 and A B C D E', ['1234', 'ABCDE']],
    ['Plan B is at 1 2 or 3 a', []],
    ['Hello Ana!', []],
  ])('%s', (text, expected) => {
    expect(spelledOut(text)).toEqual(expected);
  });
});

describe('explainSilentEnd', () => {
  it('names the registration args a silent workflow read and was not given', async () => {
    const run = await simulate(broadcast, { trigger: { type: 'http', args: {} } });
    expect(explainSilentEnd(run)).toBe(
      "the workflow ended without saying anything; it read registration args it was not given: group, message, timeout_secs (give them with --arg name=value; an http trigger's own args are --trigger http --trigger-arg name=value)",
    );
  });

  it('names the requests the simulated Relay server refused, once each, with their error', async () => {
    const silent = createWorkflow((workflow) => {
      workflow.on(Event.START, async ({ trigger }) => {
        await workflow.getDeviceName(trigger.args.source_uri).catch(() => undefined);
        await workflow.getDeviceName(trigger.args.source_uri).catch(() => undefined);
        await workflow.terminate();
      });
    });
    const run = await simulate(silent, { errors: { get_device_info: 'x'.repeat(500) } });
    expect(explainSilentEnd(run)).toBe(
      `the workflow ended without saying anything; the simulated Relay server refused: get_device_info (${'x'.repeat(60)}…)`,
    );
  });

  it("points at the server's log when it cannot tell, and says nothing when the workflow spoke", async () => {
    const quiet = createWorkflow((workflow) => {
      workflow.on(Event.START, () => workflow.terminate());
    });
    expect(explainSilentEnd(await simulate(quiet))).toContain("the server's log says why");
    expect(explainSilentEnd(await simulate(hello, { answers: ['Ana'] }))).toBeUndefined();
  });
});
