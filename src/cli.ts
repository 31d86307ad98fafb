#!/usr/bin/env node
// The ipvs-bot CLI: read-only views and maintenance. Changes to a cluster happen only through approved runs in
// Slack, so there is no command here that switches a mode.
import { ConfigError, loadConfig } from './config.js';
import { closeDb, openDb } from './db/client.js';
import { migrateDb } from './db/migrate.js';
import { K8sCluster } from './k8s/k8s-cluster.js';
import { AUDIT_USAGE, auditCommand } from './cli/audit.js';
import { DOCTOR_USAGE, doctorCommand } from './cli/doctor.js';
import { PLAN_USAGE, planCommand } from './cli/plan.js';
import { statusCommand } from './cli/status.js';
import { UsageError } from './cli/usage-error.js';

const USAGE = [
  'usage: ipvs-bot <command>',
  `  ${AUDIT_USAGE.replace(/^usage: /, '').replace(/\n\s+/g, '\n  ')}`,
  '  ipvs-bot db migrate --db PATH',
  `  ${PLAN_USAGE.replace(/^usage: /, '')}`,
  '  ipvs-bot status [cluster|run-id] [--db PATH]',
  `  ${DOCTOR_USAGE.replace(/^usage: /, '')}`,
].join('\n');

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const out = process.stdout;
  switch (cmd) {
    case 'audit':
      return auditCommand(rest, out);
    case 'db': {
      if (rest[0] !== 'migrate') throw new UsageError('usage: ipvs-bot db migrate --db PATH');
      const path = flag(rest, '--db') ?? process.env.IPVS_BOT_DB ?? './data/ipvs-bot.db';
      const db = openDb(path);
      migrateDb(db);
      closeDb(db);
      out.write(`migrations applied to ${path}\n`);
      return 0;
    }
    case 'plan': {
      const config = loadConfig(process.env, { ...(flag(rest, '--config') ? { file: flag(rest, '--config')! } : {}) });
      const clusters = new Map<string, K8sCluster>();
      return planCommand(rest.filter((a, i) => a !== '--config' && rest[i - 1] !== '--config'), {
        clusters: config.clusters, out,
        clusterFor: (name) => {
          const c = config.clusters.find((x) => x.name === name)!;
          const kubeconfig = c.kubeconfig ?? config.kubeconfig;
          if (!clusters.has(name)) clusters.set(name, K8sCluster.fromKubeconfig({ ...(kubeconfig ? { kubeconfig } : {}), ...(c.context ? { context: c.context } : {}) }));
          return clusters.get(name)!;
        },
      });
    }
    case 'status': {
      const path = flag(rest, '--db') ?? process.env.IPVS_BOT_DB ?? './data/ipvs-bot.db';
      return statusCommand(rest.filter((a, i) => a !== '--db' && rest[i - 1] !== '--db'), { db: openDb(path, { readonly: true }), out });
    }
    case 'doctor':
      return doctorCommand(rest, { env: process.env, out });
    case 'help': case '--help': case '-h': case undefined:
      out.write(`${USAGE}\n`);
      return cmd === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${cmd.slice(0, 30)}"`);
  }
}

run(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  if (err instanceof UsageError || (err instanceof Error && 'code' in err && String((err as { code: unknown }).code).startsWith('ERR_PARSE_ARGS'))) {
    process.stderr.write(`ipvs-bot: ${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`ipvs-bot: the configuration has ${err.problems.length} problem(s):\n${err.problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}\n`);
    process.exit(2);
  }
  process.stderr.write(`ipvs-bot: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
