// `ipvs-bot status [cluster|run-id]`: read-only view of runs from the database (no Kubernetes calls).
import { getLock, getRun, listRuns, type RunDb } from '../db/run-store.js';
import type { Plan } from '../workflows/kube-proxy-mode/api.js';
import { runTimeline } from '../audit/run-timeline.js';
import type { Db } from '../db/client.js';

export interface StatusCommandDeps { db: RunDb; out: NodeJS.WritableStream }

const ACTIVE = ['awaiting_approval', 'approved', 'running', 'waiting_operator', 'rolling_back'] as const;

export function statusCommand(argv: string[], deps: StatusCommandDeps): number {
  const arg = argv.find((a) => !a.startsWith('-'));
  const one = arg ? getRun(deps.db, arg) : undefined;
  const rows = one ? [one] : arg ? listRuns(deps.db, { cluster: arg, limit: 20 }) : listRuns(deps.db, { states: ACTIVE, limit: 50 });
  if (rows.length === 0) {
    deps.out.write(arg ? `no runs for "${arg}"\n` : 'no active runs\n');
    return arg ? 1 : 0;
  }
  for (const r of rows) {
    const plan = JSON.parse(r.planJson) as Plan;
    const lock = getLock(deps.db, r.cluster);
    deps.out.write([
      `${r.id}  ${r.kind}  ${r.cluster}  ${r.state}${r.currentStep ? ` (step ${r.currentStep})` : ''}`,
      `  ${plan.currentMode} → ${plan.targetMode} on ${plan.nodes.length} node(s); requested by ${r.requester} at ${r.createdAt}`,
      ...(r.reason ? [`  reason: ${r.reason}`] : []),
      ...(lock?.runId === r.id ? [`  holds the ${r.cluster} lock since ${lock.acquiredAt}`] : []),
    ].join('\n') + '\n');
  }
  if (one) {
    // One run asked for by id: its history from the audit log.
    deps.out.write('  timeline:\n');
    for (const e of runTimeline(deps.db as unknown as Db, one.id)) deps.out.write(`    ${e.ts}  ${e.actor}  ${e.type}${e.summary ? `  ${e.summary}` : ''}\n`);
  }
  return 0;
}
