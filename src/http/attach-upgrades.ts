import type { IncomingMessage, Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { WebSocketHost } from '../relay/websocket-host';
import type { WorkflowRegistry } from '../relay/workflow-registry';

/**
 * Adds an `upgrade` listener to someone else's server that takes only upgrades to a registered
 * workflow's path and hands them to the WebSocket host (token, limits and draining apply as
 * usual). Any other upgrade is left untouched for the server's other listeners (socket.io, another
 * `ws` server), unless this is the only listener: then it is refused with 404 rather than left
 * hanging. Returns the function that removes the listener.
 */
export function attachUpgrades(
  server: Server | HttpsServer,
  host: WebSocketHost,
  registry: WorkflowRegistry,
): () => void {
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const ours = registry.match(request.url ?? '/') !== undefined;
    if (ours || server.listenerCount('upgrade') === 1) host.handleUpgrade(request, socket, head);
  };
  server.on('upgrade', onUpgrade);
  return () => server.off('upgrade', onUpgrade);
}
