import { PassThrough } from 'node:stream';
import { createWorkflow, createWorkflowServer, Event, type WorkflowServer } from '../../src';
import { parseSimArgs } from '../../src/sim/parse-sim-args';
import { runTerminalDevice } from '../../src/sim/run-terminal-device';

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
    const status = runTerminalDevice({ options: parsed.options, input, output, errorOutput, interactive: true, idleHintMs: 50 });
    await hint;
    input.write('/quit\n');
    expect(await status).toBe(1);
    await hungUp;
  });
});
