import { createWorkflowServer, Uri, type WorkflowServer } from '../../src';
import { simulate } from '../../src/testing';
import hello from '../../src/workflows/hello';
import { memoryLogger } from '../helpers/memory-logger';

describe('the hello workflow on real sockets', () => {
  let server: WorkflowServer;
  const logs = memoryLogger();

  beforeAll(() => {
    server = createWorkflowServer({ logger: logs.logger, workflows: { hello } });
    return server.listen(0, '127.0.0.1');
  });

  afterAll(() => server.close(0));

  it('asks for a name and greets the answer, then terminates', async () => {
    const run = await simulate(server, { workflow: 'hello', answers: ['Ana'] });
    expect(run.says).toEqual(['What is your name?', 'Hello Ana!']);
    expect(run.terminated).toBe(true);
    expect(run.requests.map((frame) => frame._type)).toEqual([
      'wf_api_start_interaction_request',
      'wf_api_say_request',
      'wf_api_listen_request',
      'wf_api_get_var_request',
      'wf_api_say_request',
      'wf_api_terminate_request',
    ]);
  });

  it('greets with the registration arg `greeting` when it is set', async () => {
    const run = await simulate(server, { workflow: 'hello', answers: ['Bo'], vars: { greeting: 'Welcome' } });
    expect(run.says).toEqual(['What is your name?', 'Welcome Bo!']);
  });

  it('copes with a peer that writes each response and its events in one TCP write', async () => {
    const run = await simulate(server, { workflow: 'hello', answers: ['Cy'], singleWrite: true });
    expect(run.says).toEqual(['What is your name?', 'Hello Cy!']);
    expect(run.terminated).toBe(true);
  });

  it('sends the frames 2.4.0 sends for this script', async () => {
    const run = await simulate(server, { workflow: 'hello', answers: ['Di'], device: { name: "Ana's badge" } });
    const [start, say, listen, getVar, , terminate] = run.requests;
    const interaction = say?._target;
    expect(start).toEqual({
      _id: expect.stringMatching(/^[0-9a-f]{32}$/),
      _type: 'wf_api_start_interaction_request',
      _target: { uris: [Uri.deviceName("Ana's badge")] },
      name: 'hello',
    });
    expect(interaction).toEqual({
      uris: [`urn:relay-resource:name:interaction:hello?device=${encodeURIComponent(Uri.deviceName("Ana's badge"))}`],
    });
    expect(say).toEqual({
      _id: expect.any(String),
      _type: 'wf_api_say_request',
      _target: interaction,
      text: 'What is your name?',
      lang: 'en-US',
    });
    expect(listen).toEqual({
      _id: expect.any(String),
      _type: 'wf_api_listen_request',
      _target: interaction,
      transcribe: true,
      phrases: [],
      timeout: 60,
      alt_lang: 'en-US',
    });
    expect(getVar).toEqual({ _id: expect.any(String), _type: 'wf_api_get_var_request', name: 'greeting' });
    expect(terminate).toEqual({ _id: expect.any(String), _type: 'wf_api_terminate_request' });
  });

  it('never logs what the person said or heard at the default level', async () => {
    await simulate(server, { workflow: 'hello', answers: ['Zebulon-7f3a'] });
    expect(logs.text()).not.toContain('Zebulon-7f3a');
    expect(logs.text()).not.toContain('What is your name');
    expect(logs.lines().filter((line) => line.msg === 'session closed').length).toBeGreaterThan(0);
  });

  it('logs frames at debug as outlines, without what people said or heard', async () => {
    const debug = memoryLogger('debug');
    const quiet = createWorkflowServer({ logger: debug.logger, workflows: { hello } });
    await quiet.listen(0, '127.0.0.1');
    try {
      await simulate(quiet, {
        workflow: 'hello',
        answers: ['Quillon-91c2'],
        trigger: { type: 'phrase', phrase: 'Zarathustra-55' },
      });
    } finally {
      await quiet.close(0);
    }
    const frames = debug.lines().filter((line) => line.msg === 'frame received' || line.msg === 'frame sent');
    expect(frames.length).toBeGreaterThan(10);
    expect(debug.text()).not.toContain('Quillon-91c2');
    expect(debug.text()).not.toContain('What is your name');
    expect(debug.text()).not.toContain('Zarathustra-55');
    expect(frames).toContainEqual(
      expect.objectContaining({
        frame: { _type: 'wf_api_say_request', _id: expect.any(String), fields: ['_target', 'text', 'lang'] },
      }),
    );
  });
});
