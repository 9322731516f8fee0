/**
 * The process the Procfile runs: read config, build the server with every workflow, listen on
 * PORT, and on SIGTERM (Heroku's restart signal) or SIGINT drain and exit 0.
 */
import { ConfigError, loadConfig } from './config';
import { createWorkflowServer } from './create-workflow-server';
import { createLogger } from './logger';
import { workflows } from './workflows';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const server = createWorkflowServer({ config, logger, workflows });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception; exiting');
    process.exit(1);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
      void server.close().then(() => process.exit(0));
    });
  }
  await server.listen();
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`${err instanceof ConfigError ? 'configuration error' : 'startup failed'}: ${message}\n`);
  process.exit(1);
});
