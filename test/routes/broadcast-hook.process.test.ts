import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BUILD_DIR } from '../global-setup';
import { freePort, spawnServer, type ServerProcess } from '../helpers/spawn-server';

const SIM_CLI = join(BUILD_DIR, 'bin', 'sim.js');
const SECRET = 'laptop-secret-0123456789abcdef';

/**
 * docs/webhooks.md's "three terminals", as child processes: the compiled simulated cloud
 * (`npm run sim -- cloud`), the compiled app with the variables the cloud printed, and a POST to
 * /hooks/broadcast standing in for curl.
 */
describe('the broadcast hook on a laptop: npm run sim -- cloud, the app, and a curl', () => {
  it('triggers the broadcast through the simulated cloud, whose device shows the message being sent', async () => {
    const appPort = await freePort();
    const cloud = spawn(
      process.execPath,
      [
        SIM_CLI,
        'cloud',
        '--register',
        `wf_broadcast=ws://127.0.0.1:${appPort}/broadcast`,
        '--group',
        'Security=Bob,Carol',
      ],
      { env: { PATH: process.env.PATH ?? '' } },
    );
    let printed = '';
    let cloudErrors = '';
    cloud.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    cloud.stderr.on('data', (chunk: Buffer) => (cloudErrors += chunk.toString()));
    const cloudExited = new Promise<number | null>((resolve) => cloud.once('exit', (code) => resolve(code)));
    /** All the cloud printed, once it matches `pattern`. */
    const cloudPrints = (pattern: RegExp) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(printed)) return;
          cloud.stdout.off('data', check);
          cloud.off('exit', exited);
          resolve(printed);
        };
        const exited = () =>
          reject(new Error(`the cloud exited before printing ${String(pattern)}: ${printed}${cloudErrors}`));
        cloud.stdout.on('data', check);
        cloud.once('exit', exited);
        check();
      });
    let app: ServerProcess | undefined;
    try {
      const banner = await cloudPrints(/export RELAY_SUBSCRIBER_ID=\S+\n/);
      const env = Object.fromEntries(
        [...banner.matchAll(/export (RELAY_[A-Z_]+)=(\S+)/g)].map(([, name = '', value = '']) => [name, value]),
      );
      expect(Object.keys(env).sort()).toEqual([
        'RELAY_API_KEY',
        'RELAY_API_URL',
        'RELAY_AUTH_URL',
        'RELAY_SUBSCRIBER_ID',
      ]);
      app = spawnServer({
        ...env,
        PORT: String(appPort),
        HOST: '127.0.0.1',
        WEBHOOK_SECRET: SECRET,
        BROADCAST_WORKFLOW_ID: 'wf_broadcast',
      });
      await app.line('server listening');

      const response = await fetch(`http://127.0.0.1:${appPort}/hooks/broadcast`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${SECRET}`,
          'content-type': 'application/json',
          'idempotency-key': 'laptop-1',
        },
        body: JSON.stringify({ group: 'Security', message: 'Door 4 is open', timeout_secs: 60 }),
      });
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ workflow_id: 'wf_broadcast' });

      const shown = await cloudPrints(/session on \S+ ended: terminated/);
      expect(shown).toContain('[cloud] POST /ibot/workflow/wf_broadcast -> 200');
      expect(shown).toContain('[wf_broadcast] sends broadcast "broadcast": Door 4 is open');
      expect(shown).toContain('[wf_broadcast] Bob acknowledges "broadcast"');
      // The app writes its log in batches: waited for, not read at once.
      expect(await app.line('broadcast hook answered')).toMatchObject({
        outcome: 'triggered',
        status: 202,
        workflowId: 'wf_broadcast',
      });
      expect(await app.line('broadcast summary')).toMatchObject({
        outcome: 'all acknowledged',
        members: 2,
        acknowledged: 2,
      });

      app.child.kill('SIGTERM');
      expect((await app.exited).code).toBe(0);
      cloud.kill('SIGTERM');
      expect(await cloudExited).toBe(0);
      expect(cloudErrors).toBe('');
      expect(app.stderr()).toBe('');
      expect(JSON.stringify(app.lines)).not.toContain('Door 4 is open');
    } finally {
      app?.child.kill('SIGKILL');
      cloud.kill('SIGKILL');
    }
  });
});
