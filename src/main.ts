// `npm start`: load the config (every problem listed, exit 2), start the bot, drain on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from './config.js';
import { startRuntime } from './runtime.js';
import { dbStartErrorText } from './db/start-error-text.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`ipvs-bot: the configuration has ${e.problems.length} problem(s):\n`);
      for (const p of e.problems) process.stderr.write(`  - ${p.path}: ${p.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const dbPath = config.dbPath;
  const rt = await startRuntime(config).catch((err: unknown) => {
    // SQLite's start errors name neither the file nor the cause (src/db/start-error-text.ts).
    throw new Error(dbStartErrorText(err, dbPath) ?? (err instanceof Error ? err.message : String(err)));
  });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    rt.logger.info({ signal }, 'shutting down: no new work, recording the current step');
    rt.stop().then(() => process.exit(0), (err: unknown) => {
      rt.logger.error({ err: String(err) }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // Startup failures (DB locked, port in use, bad kubeconfig) get one readable line, not a stack trace.
  process.stderr.write(`ipvs-bot: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
