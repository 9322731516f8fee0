import { webNodeArgs } from './web-node-args';

describe('webNodeArgs', () => {
  it("returns the node options of the Procfile's web command", () => {
    expect(webNodeArgs('web: node --max-semi-space-size=16 dist/server.js\n')).toEqual(['--max-semi-space-size=16']);
    expect(webNodeArgs('# comment\nworker: node x.js\nweb: node dist/server.js\n')).toEqual([]);
  });

  it('refuses a web command of another shape rather than benchmark something else', () => {
    expect(() => webNodeArgs('web: npm start\n')).toThrow(/is not "node \[options\] dist\/server.js": npm start/);
    expect(() => webNodeArgs('worker: node dist/server.js\n')).toThrow(/\(none\)/);
  });
});
