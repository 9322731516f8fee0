import { createWorkflowServer, type WorkflowServer } from '../../src';
import type { WorkflowHandler } from '../../src/relay/workflow-registry';
import { memoryLogger } from './memory-logger';

/**
 * An in-process workflow server on port 0 for tests that register one workflow each:
 * `serve(handler)` registers it under a fresh name and returns its ws:// URL.
 */
export async function startTestServer(config: { heartbeatMs?: number } = {}): Promise<{
  serve: (handler: WorkflowHandler) => string;
  server: WorkflowServer;
  close: () => Promise<void>;
}> {
  const server = createWorkflowServer({ logger: memoryLogger().logger, config: { heartbeatMs: 50_000, ...config } });
  const { port } = await server.listen(0, '127.0.0.1');
  let count = 0;
  return {
    server,
    serve(handler) {
      const name = `wf${++count}`;
      server.workflow(name, handler);
      return `ws://127.0.0.1:${port}/${name}`;
    },
    close: () => server.close(0),
  };
}
