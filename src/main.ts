import { createLogger } from './adapters/logging/logger.ts';
import { startConnector, type Connector } from './composition/connector.ts';
import { formatDemo, runDemoCalls } from './composition/demo-calls.ts';
import { startWithDoubles } from './composition/demo-environment.ts';
import { ConfigError, loadDotEnv, loadEnv } from './config/env.ts';
import { RulesLoadError } from './adapters/rules/store.ts';

/**
 * `npm start`. With a PBX (AMI_HOST) or a portal (B24_MODE) configured, the connector runs against
 * them. With neither, it runs the demo: an in-process PBX double and Bitrix24 double, the example
 * rules and the generated sample numbering plan, and a few scripted click-to-calls.
 */
async function main(): Promise<void> {
  loadDotEnv();
  const env = loadEnv();
  const logger = createLogger(env.LOG_LEVEL);
  const demo = env.DEMO ?? (!env.AMI_HOST && !env.B24_MODE);

  let connector: Connector;
  let stopAll: () => Promise<void>;
  if (demo) {
    process.stderr.write(
      '\n*** DEMO MODE: no PBX (AMI_HOST) and no Bitrix24 portal (B24_MODE) are configured.\n'
      + '*** Running an in-process Asterisk double and Bitrix24 double, the example rules in rules/ and the\n'
      + '*** generated sample numbering plan in carrier-db/. Nothing here reaches a real PBX or CRM.\n'
      + '*** Configure .env (see .env.example) to connect real ones.\n\n',
    );
    const doubled = await startWithDoubles(env, logger, { timeScale: 1 });
    connector = doubled.connector;
    stopAll = () => doubled.stop();
    logger.info({ url: doubled.baseUrl }, 'demo: placing the scripted click-to-calls (ring 3 s, talk 20 s each)');
    void runDemoCalls(doubled).then(
      (outcomes) => process.stderr.write(`\n*** DEMO: scripted click-to-calls\n${formatDemo(outcomes)}\n\n`),
      (err: unknown) => logger.error({ err: { message: (err as Error).message } }, 'demo calls failed'),
    );
  } else {
    connector = await startConnector({ env, logger });
    stopAll = () => connector.stop();
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: closing HTTP, FastAGI, the CRM outbox worker and AMI');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 15 s: exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    stopAll().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: { message: (err as Error).message } }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // SIGHUP: reload rules/*.yaml (an invalid set keeps the old one) and republish the lines.
  process.on('SIGHUP', () => void connector.reload());
  logger.info({ http: connector.httpPort, fastagi: connector.agiPort, demo }, 'connector started');
}

// One place decides what is fatal: configuration and rules errors end the process with a clear
// line; anything unexpected is logged and ends it too (a supervisor restarts it).
main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof RulesLoadError) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`fatal: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`fatal: unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}\n`);
  process.exit(1);
});
