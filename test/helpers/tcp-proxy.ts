import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  /** The proxy's port on 127.0.0.1: give it to a client in place of the target's. */
  port: number;
  /**
   * Holds what the target sends back (on every connection, open or later) until `release`: the
   * client's commands still reach the target, their answers and pushed messages wait.
   */
  holdReplies(): void;
  /** Sends what was held, in order, and lets replies through again. */
  release(): void;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * A TCP proxy on a free port of 127.0.0.1 in front of `127.0.0.1:targetPort`, that can hold the
 * target's replies: it makes a peer slow at a chosen moment, deterministically (no sleeps).
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let holding = false;
  const held: Array<{ client: Socket; chunk: Buffer }> = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const target = connect(targetPort, '127.0.0.1');
    for (const socket of [client, target]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        target.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => target.write(chunk));
    target.on('data', (chunk: Buffer) => {
      if (holding) held.push({ client, chunk });
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the proxy bound no port');
  return {
    port: address.port,
    holdReplies: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const { client, chunk } of held.splice(0)) client.write(chunk);
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
