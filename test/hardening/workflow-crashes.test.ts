import { createWorkflowServer, Event, type WorkflowServer } from '../../src';
import { memoryLogger } from '../helpers/memory-logger';
import { RelayPeer, startEvent } from '../helpers/relay-peer';

describe('workflow code that fails', () => {
  let server: WorkflowServer;
  let base: string;
  const logs = memoryLogger();
  const errors: Error[] = [];

  beforeAll(async () => {
    server = createWorkflowServer({
      logger: logs.logger,
      workflows: {
        rejecting: (workflow) => {
          workflow.on(Event.START, () => Promise.reject(new Error('handler rejected')));
          workflow.on(Event.ERROR, ({ error }) => {
            errors.push(error);
          });
        },
        stuck: (workflow) => {
          workflow.on(Event.START, () => new Promise(() => undefined));
        },
      },
    });
    const { port } = await server.listen(0, '127.0.0.1');
    base = `ws://127.0.0.1:${port}`;
  });
  afterAll(() => server.close(0));

  it('logs a rejected handler once, with the session context, and hands it to the error handler', async () => {
    const peer = await RelayPeer.connect(`${base}/rejecting`);
    peer.send(startEvent());
    while (errors.length === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(errors.map((error) => error.message)).toEqual(['handler rejected']);
    const failures = logs.lines().filter((line) => line.msg === 'workflow handler failed');
    expect(failures).toEqual([
      expect.objectContaining({ level: 'error', workflow: 'rejecting', event: 'start', session: expect.any(String) }),
    ]);
    await peer.close();
  });

  it('frees a session whose handler never settles when the peer leaves, and says so', async () => {
    const peer = await RelayPeer.connect(`${base}/stuck`);
    peer.send(startEvent());
    await peer.close();
    while (server.sessions > 0) await new Promise((resolve) => setImmediate(resolve));
    await logs.logged('session closed', (line) => line.workflow === 'stuck');
    expect(logs.lines()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        workflow: 'stuck',
        event: 'start',
        msg: 'session closed while a handler was still running; its later actions fail',
      }),
    );
  });
});
