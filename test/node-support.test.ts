import { assertSupportedNode, MIN_NODE_VERSION, NodeVersionError } from '../src/node-support';

describe('assertSupportedNode: the oldest Node the runtime runs on', () => {
  it.each(['22.1.0', '22.23.5', '24.0.0', '26.3.1'])('lets Node %s through', (version) => {
    expect(() => assertSupportedNode(version)).not.toThrow();
  });

  it.each(['22.0.0', '21.7.3', '20.20.2', '18.20.8'])('stops Node %s, naming both versions', (version) => {
    expect(() => assertSupportedNode(version)).toThrow(NodeVersionError);
    expect(() => assertSupportedNode(version)).toThrow(
      `needs Node ${MIN_NODE_VERSION} or later, and this is Node ${version}: install Node 24`,
    );
  });
});
