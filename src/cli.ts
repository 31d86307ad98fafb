#!/usr/bin/env node
// `ipvs-bot` CLI: a table of commands, each in its own file under src/cli/ and loaded lazily (so `audit verify`
// never loads the Kubernetes client). Exit codes: 0 ok, 1 the check failed (verify, doctor, blocked plan),
// 2 usage or environment problem (message on stderr, never a stack trace).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeError, UsageError, type CliIo } from './cli/cli-io.js';

export interface CliCommand { usage: string; run(argv: string[], io: CliIo): Promise<number> }

/** Strips `--name VALUE` / `--name=VALUE` out of argv (for adapters whose command does not know the option). */
function takeOption(argv: string[], name: string): { value?: string; rest: string[] } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}`) value = argv[++i];
    else if (a.startsWith(`--${name}=`)) value = a.slice(name.length + 3);
    else rest.push(a);
  }
  return { ...(value !== undefined ? { value } : {}), rest };
}

export const COMMANDS: Record<string, CliCommand> = {
  // ── audit + db (H4) ──────────────────────────────────────────────────────────────────────────────────────
  'audit export': {
    usage: 'usage: ipvs-bot audit export --db PATH [--cluster C] [--run RUN_ID] [--since 30d|ISO] [--until 30d|ISO] --format jsonl|csv [--out FILE]',
    run: async (argv, io) => (await import('./cli/audit-export.js')).auditExportCommand(argv, io),
  },
  'audit verify': {
    usage: 'usage: ipvs-bot audit verify --db PATH [--json]',
    run: async (argv, io) => (await import('./cli/audit-verify.js')).auditVerifyCommand(argv, io),
  },
  'audit prune': {
    usage: 'usage: IPVS_BOT_AUDIT_KEY=… ipvs-bot audit prune --db PATH --before 365d|ISO',
    run: async (argv, io) => (await import('./cli/audit-prune.js')).auditPruneCommand(argv, io),
  },
  'db migrate': {
    usage: 'usage: ipvs-bot db migrate --db PATH',
    run: async (argv, io) => (await import('./cli/db-migrate.js')).dbMigrateCommand(argv, io),
  },
  // ── other owners: add a command here as one entry whose run() lazily imports src/cli/<name>.ts ───────────
  doctor: {
    usage: 'usage: ipvs-bot doctor [--config PATH] [--db PATH] [--cluster NAME] [--json]',
    run: async (argv, io) => (await import('./cli/doctor.js')).doctorCommand(argv, { env: io.env, out: io.out }),
  },
  status: {
    usage: 'usage: ipvs-bot status [cluster|run-id] [--db PATH]',
    run: async (argv, io) => {
      const { statusCommand } = await import('./cli/status.js');
      const { openExistingReadonly, withDb } = await import('./cli/cli-io.js');
      const { value, rest } = takeOption(argv, 'db');
      const db = openExistingReadonly(value ?? io.env.IPVS_BOT_DB ?? './data/ipvs-bot.db');
      return withDb(db, (d) => statusCommand(rest, { db: d, out: io.out }));
    },
  },
  plan: {
    usage: 'usage: ipvs-bot plan <cluster> [--config PATH] [--mode ipvs|iptables|nftables] [--scheduler S] [--strict-arp] [--batch N|N%] [--cleanup M] [--json]',
    run: async (argv, io) => {
      const [{ planCommand }, { loadConfig, ConfigError }, { K8sCluster }] = await Promise.all([
        import('./cli/plan.js'), import('./config.js'), import('./k8s/k8s-cluster.js')]);
      const { value, rest } = takeOption(argv, 'config');
      let config;
      try {
        config = loadConfig(io.env, { ...(value ? { file: value } : {}), slack: false });
      } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(`invalid configuration:\n${e.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
        throw e;
      }
      const clusters = config.clusters;
      return planCommand(rest, {
        clusters, out: io.out,
        clusterFor: (name) => {
          const c = clusters.find((x) => x.name === name)!;
          const kubeconfig = c.kubeconfig ?? config.kubeconfig;
          return K8sCluster.fromKubeconfig({ ...(kubeconfig ? { kubeconfig } : {}), ...(c.context ? { context: c.context } : {}) },
            config.k8sRequestTimeoutMs ? { requestTimeoutMs: config.k8sRequestTimeoutMs } : {});
        },
      });
    },
  },
};

// ── fleet (h-fleet, issue #13) ─────────────────────────────────────────────────────────────────────────────
COMMANDS.fleet = {
  usage: 'usage: ipvs-bot fleet [--config PATH] [--db PATH] [--csv | --json] [--timeout SECONDS]',
  run: async (argv, io) => {
    const [{ fleetCommand, dbExists }, { loadConfig, ConfigError }, { K8sCluster }, { openExistingReadonly, withDb }] = await Promise.all([
      import('./cli/fleet.js'), import('./config.js'), import('./k8s/k8s-cluster.js'), import('./cli/cli-io.js')]);
    const cfgOpt = takeOption(argv, 'config');
    const dbOpt = takeOption(cfgOpt.rest, 'db');
    let config;
    try {
      config = loadConfig(io.env, { ...(cfgOpt.value ? { file: cfgOpt.value } : {}), slack: false });
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(`invalid configuration:\n${e.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
      throw e;
    }
    const clusterFor = (name: string) => {
      const c = config.clusters.find((x) => x.name === name)!;
      const kubeconfig = c.kubeconfig ?? config.kubeconfig;
      return K8sCluster.fromKubeconfig({ ...(kubeconfig ? { kubeconfig } : {}), ...(c.context ? { context: c.context } : {}) });
    };
    // The DB is optional here: without one the rows show the ConfigMap's mode and no last run.
    const dbPath = dbOpt.value ?? config.dbPath;
    if (!dbExists(dbPath)) return fleetCommand(dbOpt.rest, { config, clusterFor, out: io.out });
    return withDb(openExistingReadonly(dbPath), (db) => fleetCommand(dbOpt.rest, { config, clusterFor, db, out: io.out }));
  },
};

function help(): string {
  return `ipvs-bot <command>\n${Object.values(COMMANDS).map((c) => `  ${c.usage.replace(/^usage: /, '')}`).join('\n')}\n`;
}

/** Runs one command line; returns the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const two = argv.slice(0, 2).join(' ');
  const [name, cmd] = COMMANDS[two] ? [two, COMMANDS[two]] : [argv[0] ?? '', COMMANDS[argv[0] ?? '']];
  if (!cmd) {
    if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') { io.out.write(help()); return argv.length ? 0 : 2; }
    io.err.write(`unknown command "${argv.slice(0, 2).join(' ')}"\n${help()}`);
    return 2;
  }
  const rest = argv.slice(name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) { io.out.write(`${cmd.usage}\n`); return 0; }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    const dbIdx = rest.indexOf('--db');
    io.err.write(`ipvs-bot ${name}: ${describeError(e, dbIdx >= 0 ? rest[dbIdx + 1] : undefined)}\n`);
    if (e instanceof UsageError) io.err.write(`${cmd.usage}\n`);
    return 2;
  }
}

const invokedDirectly = (() => {
  try { return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url)); } catch { return false; }
})();
if (invokedDirectly) {
  const code = await runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env });
  process.exitCode = code;
  // Exit naturally once output is flushed; a client keep-alive socket (plan, doctor) must not hold the CLI open.
  setTimeout(() => process.exit(code), 2_000).unref();
}
