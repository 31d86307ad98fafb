// `ipvs-bot plan <cluster> [--mode M] [--scheduler S] [--strict-arp] [--batch N|N%] [--cleanup M] [--no-rehearse]`:
// read-only. Gathers the facts and prints the plan the bot would post; it creates no run (changes happen only
// through approved runs in Slack).
import { parseArgs } from 'node:util';
import type { ClusterConfig } from '../config.js';
import type { Cluster } from '../k8s/cluster.js';
import { PlanInput, type Plan } from '../workflows/kube-proxy-mode/api.js';
import { gatherFacts } from '../workflows/kube-proxy-mode/gather-facts.js';
import { assemblePlan, planBlocked, policyOf } from '../workflows/kube-proxy-mode/plan.js';
import { attachRehearsal, type RehearseFn } from '../workflows/rehearsal/attach-rehearsal.js';
import { rehearsePlan } from '../workflows/rehearsal/rehearse-plan.js';
import { rehearsalLine } from '../workflows/rehearsal/rehearsal-result.js';

export interface PlanCommandDeps {
  clusters: readonly ClusterConfig[];
  clusterFor(name: string): Cluster;
  out: NodeJS.WritableStream;
  now?: () => number;
  /** Rehearses the plan on an in-process sandbox (default: rehearsal/rehearse-plan.ts); never the real cluster. */
  rehearse?: RehearseFn;
}

export const PLAN_USAGE = 'usage: ipvs-bot plan <cluster> [--mode ipvs|iptables|nftables] [--scheduler rr|wrr|lc|…] [--strict-arp] [--batch N|N%] [--cleanup targeted|kube-proxy|none] [--no-auto-rollback] [--no-rehearse] [--json]';

/** Returns the process exit code: 0 plan ok, 1 blocked, 2 bad usage or unreachable cluster. */
export async function planCommand(argv: string[], deps: PlanCommandDeps): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        // --mode as in Slack (`/ipvs plan c --mode nftables`); --target-mode is the old name, accepted for a while.
        mode: { type: 'string' }, 'target-mode': { type: 'string' }, scheduler: { type: 'string' }, 'strict-arp': { type: 'boolean' },
        batch: { type: 'string' }, cleanup: { type: 'string' }, 'no-auto-rollback': { type: 'boolean' }, 'no-rehearse': { type: 'boolean' }, json: { type: 'boolean' },
      },
    });
  } catch (e) {
    deps.out.write(`${e instanceof Error ? e.message : String(e)}\n${PLAN_USAGE}\n`);
    return 2;
  }
  const name = parsed.positionals[0];
  const cfg = deps.clusters.find((c) => c.name === name);
  if (!name || !cfg) {
    deps.out.write(`${name ? `unknown cluster "${name}"; known: ${deps.clusters.map((c) => c.name).join(', ')}` : 'which cluster?'}\n${PLAN_USAGE}\n`);
    return 2;
  }
  const v = parsed.values;
  if (v.mode && v['target-mode'] && v.mode !== v['target-mode']) {
    deps.out.write(`--mode ${v.mode} and --target-mode ${v['target-mode']} disagree; use --mode (--target-mode is its old name)\n${PLAN_USAGE}\n`);
    return 2;
  }
  const mode = v.mode ?? v['target-mode'];
  const input = PlanInput.safeParse({
    ...(mode ? { targetMode: mode } : {}),
    ...(v.scheduler ? { scheduler: v.scheduler } : {}),
    ...(v['strict-arp'] ? { strictArp: true } : {}),
    ...(v.batch ? { batch: /^\d+$/.test(v.batch) ? Number(v.batch) : v.batch } : {}),
    ...(v.cleanup ? { cleanup: v.cleanup } : {}),
    ...(v['no-auto-rollback'] ? { autoRollback: false } : {}),
  });
  if (!input.success) {
    deps.out.write(`${input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')}\n${PLAN_USAGE}\n`);
    return 2;
  }
  let plan: Plan;
  try {
    const facts = await gatherFacts(deps.clusterFor(name), name);
    plan = assemblePlan(facts, input.data, policyOf(cfg), { now: deps.now ?? Date.now });
    plan = await attachRehearsal(plan, facts, cfg, deps.rehearse ?? ((f, p, c) => rehearsePlan(f, p, c)), v['no-rehearse'] === true);
  } catch (e) {
    deps.out.write(`could not plan ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  deps.out.write(v.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
  return planBlocked(plan) ? 1 : 0;
}

const MARK = { pass: 'ok  ', warn: 'WARN', block: 'BLOCK' } as const;

export function formatPlan(p: Plan): string {
  const lines = [
    `Plan for ${p.cluster} (${p.version}): kube-proxy ${p.currentMode} → ${p.targetMode}${planBlocked(p) ? '  [BLOCKED]' : ''}`,
    `digest ${p.digest}  expires ${p.expiresAt}`,
    ...(p.rehearsal ? [rehearsalLine(p.rehearsal)] : []),
    '',
    'Checks:',
    ...p.checks.map((c) => `  ${MARK[c.verdict]}  ${c.message}`),
    '',
    `Nodes (${p.nodes.length}):`,
    ...p.nodes.slice(0, 50).map((n) => `  ${n.name}${n.controlPlane ? ' (control plane)' : ''}  ${n.ready ? 'Ready' : 'NotReady'}  kernel ${n.kernel}  ${n.runtime}`),
    ...(p.nodes.length > 50 ? [`  … and ${p.nodes.length - 50} more`] : []),
    '',
    `Rollout: canary ${p.rollout.canary}, then ${p.rollout.batches.length} batch(es) of ${p.input.batch}; cleanup ${p.cleanup.method}`,
    '',
    'config.conf diff:',
    p.configDiff || '  (none)',
    'Risks:',
    ...p.risks.map((r) => `  - ${r}`),
    '',
    'This is read-only. To run it, use /ipvs plan in Slack; it needs approval.',
  ];
  return `${lines.join('\n')}\n`;
}
