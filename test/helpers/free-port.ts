import { createServer } from 'node:net';

/**
 * A port nobody listens on right now (bound on port 0 on all interfaces, read back, released),
 * for child processes that only take their port from PORT.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '0.0.0.0', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port was bound')),
      );
    });
  });
}
