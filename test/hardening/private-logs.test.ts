import { createWorkflowServer, Event, type Workflow, type WorkflowServer } from '../../src';
import { buildWorkflowServer } from '../../src/create-workflow-server';
import { WorkflowRegistry } from '../../src/relay/workflow-registry';
import { simulate } from '../../src/testing';
import { memoryLogger } from '../helpers/memory-logger';

/** Says, broadcasts with push options and registers for calls with a password: all private. */
const chatty = (workflow: Workflow) => {
  workflow.on(Event.START, async ({ trigger }) => {
    const device = trigger.args.source_uri;
    const message = String((trigger.args.args as { message?: string } | undefined)?.message);
    await workflow.broadcast('urn:relay-resource:name:group:Ops', device, 'b', message, {
      priority: 'normal',
      title: 'Title-Secret-1',
      body: 'Body-Secret-2',
      sound: 'default',
    });
    await workflow.registerForCalls(device, { uri: 'sip:ana@example.invalid', password: 'Password-Secret-3' });
    await workflow.terminate();
  });
};

async function runAt(logPrivateData: boolean): Promise<string> {
  const logs = memoryLogger('debug');
  const server: WorkflowServer = createWorkflowServer({
    logger: logs.logger,
    workflows: { chatty },
    config: { logPrivateData },
  });
  await server.listen(0, '127.0.0.1');
  try {
    const run = await simulate(server, {
      workflow: 'chatty',
      trigger: { type: 'http', args: { message: 'Message-Secret-4' } },
      acknowledgers: 'none',
    });
    expect(run.terminated).toBe(true);
  } finally {
    await server.close(0);
  }
  return logs.text();
}

const SECRETS = ['Title-Secret-1', 'Body-Secret-2', 'Password-Secret-3', 'Message-Secret-4'];

describe('private data in the logs', () => {
  it('never reaches them, even at debug and nested deep in a frame', async () => {
    const text = await runAt(false);
    expect(text).toContain('frame received');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });

  it('reaches them only when the owner opts in with LOG_PRIVATE_DATA', async () => {
    const text = await runAt(true);
    for (const secret of SECRETS) expect(text).toContain(secret);
  });
});

/** Listens, then says what it heard: what the person said is in both frames. */
const echo = (workflow: Workflow) => {
  workflow.on(Event.START, async ({ trigger }) => {
    const device = trigger.args.source_uri;
    const { text } = await workflow.listen(device);
    await workflow.say(device, `You said ${text}`);
    await workflow.terminate();
  });
};

describe('workflow names in the logs', () => {
  it('are logged whole, even when named like a private field (text, audio, value), and the default workflow is "/"', async () => {
    const logs = memoryLogger();
    const registry = new WorkflowRegistry();
    registry.addDefault(echo);
    const server = buildWorkflowServer(registry, {
      logger: logs.logger,
      workflows: { text: echo, audio: echo, value: echo },
    });
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      for (const workflow of ['text', 'audio', 'value', ''])
        await simulate(`ws://127.0.0.1:${port}/${workflow}`, { answers: [`Spoken-Secret-${workflow}`] });
    } finally {
      await server.close(0);
    }

    const listening = await logs.logged('server listening');
    expect(listening.workflows).toEqual({
      '/text': `ws://127.0.0.1:${port}/text`,
      '/audio': `ws://127.0.0.1:${port}/audio`,
      '/value': `ws://127.0.0.1:${port}/value`,
      '/': `ws://127.0.0.1:${port}/`,
    });
    const closed = logs.lines().filter((line) => line.msg === 'session closed');
    expect(closed.map((line) => line.workflow)).toEqual(['text', 'audio', 'value', '/']);
    const text = logs.text();
    expect(text).not.toContain('Spoken-Secret');
  });
});
