import type { AddressInfo } from 'node:net';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { workflowUrl } from './workflow-url';

/**
 * The startup line that tells a person reading `heroku logs` what to register. With dyno metadata
 * (`HEROKU_APP_DEFAULT_DOMAIN_NAME`) the URLs are the public `wss://` ones; without it they are
 * the local ones, with the command that turns metadata on. A required token shows as a placeholder.
 */
export function logListening(
  log: Logger,
  address: AddressInfo,
  names: readonly string[],
  config: Pick<Config, 'herokuAppDomain' | 'workflowToken'>,
): void {
  const tokenRequired = config.workflowToken !== undefined;
  const access = tokenRequired ? 'token' : 'open';
  const local = ['0.0.0.0', '::'].includes(address.address) ? 'localhost' : address.address;
  const base =
    config.herokuAppDomain === undefined ? `ws://${local}:${address.port}` : `wss://${config.herokuAppDomain}`;
  const workflows = Object.fromEntries(names.map((name) => [name, workflowUrl(base, name, tokenRequired)]));
  if (config.herokuAppDomain !== undefined) {
    log.info({ address: address.address, port: address.port, workflows, access, public: true }, 'server listening');
    return;
  }
  const hint =
    'these are local URLs; on Heroku, run "heroku labs:enable runtime-dyno-metadata" and deploy again to log the public wss:// ones, or open the app URL in a browser';
  log.info(
    { address: address.address, port: address.port, workflows, access, public: false, hint },
    'server listening',
  );
}
