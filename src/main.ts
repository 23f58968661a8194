import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from './adapters/logging/logger.ts';
import { isSamplePlan } from './app/numbering/sample-plan.ts';
import { startConnector, type Connector } from './composition/connector.ts';
import { formatDemo, runDemoCalls } from './composition/demo-calls.ts';
import { startWithDoubles } from './composition/demo-environment.ts';
import { startSummary } from './composition/start-summary.ts';
import { ConfigError, loadDotEnv, loadEnv } from './config/env.ts';
import { RulesLoadError } from './adapters/rules/store.ts';

/**
 * `npm start`. With a PBX (AMI_HOST) or a portal (B24_MODE) configured, the connector runs against
 * them. With neither, it runs the demo: an in-process PBX double and Bitrix24 double, the example
 * rules and the generated sample numbering plan, and a few scripted click-to-calls.
 */
async function main(): Promise<void> {
  const dotEnv = fs.existsSync('.env') ? path.resolve('.env') : null;
  loadDotEnv();
  const env = loadEnv();
  const logger = createLogger(env.LOG_LEVEL);
  const demo = env.DEMO ?? (!env.AMI_HOST && !env.B24_MODE);

  let connector: Connector;
  let httpUrl: string;
  let stopAll: () => Promise<void>;
  if (demo) {
    const doubled = await startWithDoubles(env, logger, { timeScale: 1 });
    connector = doubled.connector;
    httpUrl = doubled.baseUrl;
    stopAll = () => doubled.stop();
    logger.info({ url: doubled.baseUrl }, 'demo: placing the scripted click-to-calls (ring 3 s, talk 20 s each)');
    void runDemoCalls(doubled).then(
      (outcomes) => process.stderr.write(`\n*** DEMO: scripted click-to-calls\n${formatDemo(outcomes)}\n\n`),
      (err: unknown) => logger.error({ err }, 'demo calls failed'),
    );
  } else {
    connector = await startConnector({ env, logger });
    httpUrl = localUrl(env.HTTP_HOST, connector.httpPort);
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
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // SIGHUP: reload rules/*.yaml (an invalid set keeps the old one) and republish the lines.
  process.on('SIGHUP', () => void connector.reload());
  logger.info({ http: connector.httpPort, fastagi: connector.agiPort, demo }, 'connector started');
  const rules = connector.rules.current();
  const plan = connector.carriers.state().plan;
  const webhookHost = env.B24_MODE === 'webhook' && env.B24_WEBHOOK_URL ? new URL(env.B24_WEBHOOK_URL).host : null;
  process.stderr.write(`\n${startSummary({
    demo, dotEnv, env: connector.env, httpUrl, agiPort: connector.agiPort,
    carriers: connector.carriers.state(), samplePlan: plan !== null && isSamplePlan(plan),
    rules: { users: rules.rules.users.length, departments: rules.rules.departments.length, trunks: rules.trunks.length },
    portal: connector.crm.connection.installedPortal()?.domain ?? webhookHost,
  })}\n\n`);
}

/** How this host reaches a server listening on `host` (all interfaces: through the loopback). */
function localUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
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
