/**
 * The oldest Node this runtime runs on. `Promise.withResolvers` came in Node 22.0 and `URL.parse`
 * in 22.1; the app itself runs on the Node of `.nvmrc` (24), which Heroku installs from `engines`.
 */
export const MIN_NODE_VERSION = '22.1.0';

/** A Node older than {@link MIN_NODE_VERSION}; the message names both versions and how to get a newer one. */
export class NodeVersionError extends Error {
  readonly code = 'ERR_NODE_VERSION';
  constructor(readonly version: string) {
    super(
      `relay-heroku-workflows needs Node ${MIN_NODE_VERSION} or later, and this is Node ${version}: ` +
        'install Node 24, the version the app runs on (.nvmrc), with nvm install 24, ' +
        'fnm use --install-if-missing, volta install node@24 or https://nodejs.org/en/download',
    );
    this.name = 'NodeVersionError';
  }
}

/**
 * Throws {@link NodeVersionError} on a Node older than {@link MIN_NODE_VERSION}, before anything
 * fails with "Promise.withResolvers is not a function". The entries call it first.
 */
export function assertSupportedNode(version: string = process.versions.node): void {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [minMajor = 0, minMinor = 0] = MIN_NODE_VERSION.split('.').map(Number);
  if (major < minMajor || (major === minMajor && minor < minMinor)) throw new NodeVersionError(version);
}
