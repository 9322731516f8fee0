import { once } from 'node:events';
import WebSocket from 'ws';
import { Event, RelayErrorCode } from '../../src';
import { simulate } from '../../src/testing';
import type { Workflow } from '../../src/relay/workflow';
import hello from '../../src/workflows/hello';
import { get } from '../helpers/get';
import { heldAnswer } from '../helpers/held-answer';
import { deferred } from '../helpers/settle';
import {
  DEVICE,
  interactionUri,
  RelayPeer,
  upgradeRefusal,
  startEvent,
  startRelayServer,
  type Frame,
  type RelayTestServer,
} from '../helpers/relay-peer';

const open: RelayTestServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((relay) => relay.close()));
});

async function start(
  workflows: Record<string, (workflow: Workflow) => void>,
  heartbeatMs = 25_000,
): Promise<RelayTestServer> {
  const relay = await startRelayServer({ workflows, config: { heartbeatMs } });
  open.push(relay);
  return relay;
}

describe('routing', () => {
  it('answers an unknown path with 404 before the handshake, running no workflow code', async () => {
    const opened = jest.fn();
    const { base } = await start({ hello: opened });
    const { status } = await upgradeRefusal(`ws://${base}/nope`);
    expect(status).toBe(404);
    expect(opened).not.toHaveBeenCalled();
  });

  it('serves a workflow whatever its query string, trailing slash or %-encoding', async () => {
    const opened = jest.fn();
    const { base } = await start({ hello: opened, 'hello world': opened });
    for (const path of ['/hello?token=x', '/hello/', '/hello%20world']) {
      const peer = await RelayPeer.connect(`ws://${base}${path}`);
      await peer.close();
    }
    expect(opened).toHaveBeenCalledTimes(3);
  });

  it('logs the X-Request-Id of the upgrade on the session lines', async () => {
    const { base, logs } = await start({ hello });
    const peer = await RelayPeer.connect(`ws://${base}/hello`, {
      headers: { 'X-Request-Id': 'req-1234567890abcdef-xyz' },
    });
    peer.send(startEvent());
    await peer.nextOfType('wf_api_start_interaction_request');
    await peer.close();
    const line = await logs.logged('session closed');
    expect(line).toMatchObject({
      workflow: 'hello',
      requestId: 'req-1234567890abcdef-xyz',
      endedBy: 'peer-closed',
      code: 1000,
    });
    expect(line.session).toMatch(/^[0-9a-f]{16}$/);
    expect(typeof line.durationMs).toBe('number');
  });
});

describe('the HTTP side', () => {
  it('serves a page naming the app and its workflows, and /health', async () => {
    const { port, server } = await start({ hello, panic: () => undefined });
    const home = await get(port, '/');
    expect(home.status).toBe(200);
    expect(home.headers['content-type']).toContain('text/html');
    expect(home.body).toContain('relay-heroku-workflows');
    expect(home.body).toContain('<code>/hello</code>');
    expect(home.body).toContain('<code>/panic</code>');
    const health = await get(port, '/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({
      status: 'ok',
      uptime: expect.any(Number),
      sessions: 0,
      bus: { kind: 'in-process', state: 'embedded' },
    });
    expect((await get(port, '/nope')).status).toBe(404);
    expect(server.httpServer.keepAliveTimeout).toBeGreaterThan(90_000);
  });
});

describe('sessions', () => {
  it('ends a session whose peer disconnects mid-listen, rejecting the listen at once and freeing it', async () => {
    const failures: unknown[] = [];
    const { base, server, logs } = await start({
      ask: (workflow) => {
        workflow.on(Event.START, async () => {
          await workflow.listen(interactionUri('ask'), [], { timeout: 600 });
        });
        workflow.on(Event.ERROR, ({ error }) => {
          failures.push(error);
        });
      },
    });
    const peer = await RelayPeer.connect(`ws://${base}/ask`);
    peer.send(startEvent());
    const listen = await peer.nextOfType('wf_api_listen_request');
    expect(server.sessions).toBe(1);
    peer.socket.terminate();
    await logs.logged('workflow stopped: the session closed while an action was pending');
    expect(failures).toEqual([expect.objectContaining({ code: RelayErrorCode.NOT_CONNECTED })]);
    expect(server.sessions).toBe(0);
    expect(listen._type).toBe('wf_api_listen_request');
    expect(await logs.logged('session closed')).toMatchObject({ endedBy: 'peer-closed', code: 1006 });
  });

  it('passes a throwing handler to the error handler and goes on with the next event', async () => {
    const seen: string[] = [];
    const { base } = await start({
      flaky: (workflow) => {
        workflow.on(Event.BUTTON, ({ taps }) => {
          seen.push(taps);
          if (taps === 'single') throw new Error('boom');
        });
        workflow.on(Event.ERROR, ({ error }) => {
          seen.push(`error: ${error.message}`);
        });
        workflow.on(Event.STOP, async () => {
          await workflow.setVar('done', true);
        });
      },
    });
    const peer = await RelayPeer.connect(`ws://${base}/flaky`);
    const button = (taps: string): Frame => ({
      _type: 'wf_api_button_event',
      button: 'action',
      taps,
      source_uri: DEVICE,
    });
    peer.send(startEvent());
    peer.send(button('single'));
    peer.send(button('double'));
    peer.send({ _type: 'wf_api_stop_event', reason: 'normal' });
    await peer.nextOfType('wf_api_set_var_request');
    expect(seen).toEqual(['single', 'error: boom', 'double']);
    await peer.close();
  });

  it('closes with 1011 when the workflow function throws as the session opens, and keeps serving', async () => {
    const { base, logs } = await start({
      broken: () => {
        throw new Error('bad workflow');
      },
      hello,
    });
    const peer = await RelayPeer.connect(`ws://${base}/broken`);
    expect((await peer.closed).code).toBe(1011);
    expect(await logs.logged('workflow function failed while the session opened; closing it with 1011')).toMatchObject({
      workflow: 'broken',
      err: expect.objectContaining({ message: 'bad workflow' }),
    });
    const run = await simulate(`ws://${base}/hello`, { answers: ['Ana'] });
    expect(run.says).toEqual(['What is your name?', 'Hello Ana!']);
  });

  it('closes with 1011 when an async workflow function rejects as the session opens', async () => {
    const { base, server, logs } = await start({
      // The misuse under test: an async workflow function (the type asks for a plain one).
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      broken: async () => {
        await Promise.resolve();
        throw new Error('async bad workflow');
      },
    });
    const peer = await RelayPeer.connect(`ws://${base}/broken`);
    expect((await peer.closed).code).toBe(1011);
    expect(await logs.logged('workflow function failed while the session opened; closing it with 1011')).toMatchObject({
      err: expect.objectContaining({ message: 'async bad workflow' }),
    });
    while (server.sessions > 0) await new Promise((resolve) => setImmediate(resolve));
  });

  it('runs one handler at a time, in arrival order, with 2.4.0 lifecycle narrowing', async () => {
    const order: string[] = [];
    let releaseStarted: () => void = () => undefined;
    const began = deferred<void>();
    const { base } = await start({
      ordered: (workflow) => {
        workflow.on(Event.INTERACTION_STARTED, async () => {
          order.push('started:begin');
          began.resolve();
          await new Promise<void>((resolve) => (releaseStarted = resolve));
          order.push('started:end');
        });
        workflow.on(Event.INTERACTION_RESUMED, async () => {
          order.push('resumed');
          await workflow.setVar('order', order);
        });
      },
    });
    const peer = await RelayPeer.connect(`ws://${base}/ordered`);
    const uri = interactionUri('x');
    peer.sendTogether([
      startEvent(),
      { _type: 'wf_api_interaction_lifecycle_event', type: 'started', source_uri: uri },
      { _type: 'wf_api_interaction_lifecycle_event', type: 'resumed', source_uri: uri },
    ]);
    await began.promise;
    releaseStarted();
    const setVar = await peer.nextOfType('wf_api_set_var_request');
    expect(setVar.value).toBe('started:begin,started:end,resumed');
    await peer.close();
  });
});

describe('heartbeat', () => {
  it('ends a session whose peer does not answer pings', async () => {
    const { base, logs } = await start({ hello }, 20);
    const peer = await RelayPeer.connect(`ws://${base}/hello`, { autoPong: false });
    expect((await peer.closed).code).toBe(1006);
    expect(await logs.logged('session closed')).toMatchObject({ endedBy: 'heartbeat-timeout' });
  });

  it('keeps a session whose peer answers, and never refuses an action while a ping is unanswered', async () => {
    const { base } = await start(
      {
        counter: (workflow) => {
          workflow.on(Event.START, async () => {
            for (let i = 0; ; i++) await workflow.setVar('i', i);
          });
        },
      },
      200,
    );
    const peer = await RelayPeer.connect(`ws://${base}/counter`, { autoPong: false });
    let pingOutstanding = false;
    peer.socket.on('ping', () => {
      pingOutstanding = true;
    });
    peer.send(startEvent());
    // For each of three pings: answer two requests before the pong. The second request was sent
    // after the server's ping, while its pong was still missing (2.4.0 refused such actions).
    let sentDuringPing = 0;
    for (let ping = 0; ping < 3; ping++) {
      if (!pingOutstanding) await once(peer.socket, 'ping');
      for (let answered = 0; answered < 2; answered++) {
        const request = await peer.nextOfType('wf_api_set_var_request');
        if (answered === 1) sentDuringPing += 1;
        peer.send({ _id: request._id, _type: 'wf_api_set_var_response' });
      }
      pingOutstanding = false;
      peer.socket.pong();
    }
    expect(sentDuringPing).toBe(3);
    expect(peer.socket.readyState).toBe(WebSocket.OPEN);
    await peer.close();
  });
});

describe('close', () => {
  it('refuses new sessions with 503, lets one mid-dialogue finish, then releases everything', async () => {
    const { base, server } = await start({ hello });
    const held = heldAnswer();
    const run = simulate(`ws://${base}/hello`, { answers: held.answers });
    await held.listening;
    const closed = server.close(10_000);
    const refused = await upgradeRefusal(`ws://${base}/hello`);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    held.speak('Eve');
    expect((await run).says).toEqual(['What is your name?', 'Hello Eve!']);
    await closed;
    expect(server.sessions).toBe(0);
    expect(server.httpServer.listening).toBe(false);
  });

  it('closes sessions still open when the grace time ends with 1001', async () => {
    const { base, server, logs } = await start({ idle: () => undefined });
    const peer = await RelayPeer.connect(`ws://${base}/idle`);
    await server.close(10);
    expect(await peer.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(await logs.logged('session closed')).toMatchObject({ endedBy: 'server-shutdown', code: 1001 });
  });
});
