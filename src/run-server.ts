import { ConfigError, loadConfig } from './config';
import { checkDotenv } from './dotenv-check';
import { createWorkflowServer } from './create-workflow-server';
import { createLogger } from './logger';
import type { Routes } from './http/define-routes';
import type { WorkflowHandler, WorkflowModule } from './relay/workflow-registry';

/**
 * The process around the server: read config, build, listen on HOST:PORT, and on SIGTERM
 * (Heroku's restart signal) or SIGINT drain and exit 0. A second SIGTERM during the drain is
 * logged and ignored; a second SIGINT exits at once with 130. SIGUSR2 (which `npm run dev` sends
 * on every change, as nodemon does; Heroku never sends it) restarts without the drain: open sessions
 * end at once with 1012 (service restart) and the process exits 0. A bad setting exits 1 before listening,
 * with one line on stderr. An exception nothing caught is logged at fatal, then the process exits 1
 * (its state is unknown); a rejected promise nobody awaited is logged and the process goes on.
 */
export async function runServer(
  workflows: Readonly<Record<string, WorkflowHandler | WorkflowModule>>,
  routes: readonly Routes[] = [],
): Promise<void> {
  try {
    const config = loadConfig();
    const logger = createLogger({ level: config.logLevel, logPrivateData: config.logPrivateData });
    // A typo in .env (PROT=9090) would otherwise start the server on defaults without a word.
    for (const warning of checkDotenv()) logger.warn(warning);
    const server = createWorkflowServer({ config, logger, workflows, routes });
    process.on('uncaughtException', (err) => {
      logger.fatal({ err, sessions: server.sessions }, 'uncaught exception; exiting');
      process.exit(1);
    });
    process.on('unhandledRejection', (reason) => {
      logger.error({ err: reason }, 'a promise was rejected and nothing awaited it (a workflow action without await?)');
    });
    let shuttingDown = false;
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (!shuttingDown) {
          shuttingDown = true;
          logger.info({ signal, graceMs: config.shutdownGraceMs, sessions: server.sessions }, 'shutting down');
          void server.close().then(() => process.exit(0));
        } else if (signal === 'SIGTERM') {
          // Heroku sends SIGKILL 30 s after the first SIGTERM anyway; dying now would cut the sessions still finishing.
          logger.warn({ signal, sessions: server.sessions }, 'already shutting down; ignoring the signal');
        } else {
          // A second Ctrl-C on a laptop means "now".
          logger.warn({ signal, sessions: server.sessions }, 'second interrupt; exiting without waiting for sessions');
          process.exit(130);
        }
      });
    }
    // Not one of the signals above: only a development runner sends it, and it must not wait
    // out SHUTDOWN_GRACE_MS (scripts/dev.cjs).
    process.on('SIGUSR2', () => {
      if (shuttingDown) {
        logger.warn({ signal: 'SIGUSR2', sessions: server.sessions }, 'already shutting down; ignoring the signal');
        return;
      }
      shuttingDown = true;
      logger.info(
        { signal: 'SIGUSR2', sessions: server.sessions },
        'restarting (npm run dev): open sessions end now with 1012 (service restart), without the shutdown grace',
      );
      void server.closeForRestart().then(() => process.exit(0));
    });
    await server.listen();
    server.ready().catch((err: unknown) => {
      logger.fatal({ err }, 'an HTTP route module failed to load (see err); fix it and deploy again. Exiting');
      process.exit(1);
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${err instanceof ConfigError ? 'configuration error' : 'startup failed'}: ${message}\n`);
    process.exit(1);
  }
}
