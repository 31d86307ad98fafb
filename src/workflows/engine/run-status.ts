// Builds the api.ts RunStatus view of a stored run (what the Notifier and the Slack card show).
import { getApprovals, getNodeProgressRows, getRunSteps, type RunDb, type RunRow, type StepRow } from '../../db/run-store.js';
import type { NodeProgress, Plan, RunState, RunStatus, WaitingInfo } from '../kube-proxy-mode/api.js';

// plan_json never changes for a run and can be large (one entry per node): parse it once.
const planCache = new Map<string, { text: string; plan: Plan }>();
function parsedPlan(run: RunRow): Plan {
  const hit = planCache.get(run.id);
  if (hit && hit.text === run.planJson) return hit.plan;
  const plan = JSON.parse(run.planJson) as Plan;
  if (planCache.size >= 64) planCache.delete(planCache.keys().next().value!);
  planCache.set(run.id, { text: run.planJson, plan });
  return plan;
}

export function toRunStatus(db: RunDb, run: RunRow): RunStatus {
  const approvals = getApprovals(db, run.id)
    .filter((a) => a.voidedAt === null)
    .map((a) => ({ user: a.approver, at: a.createdAt }));
  // Latest row per node across the run's steps (rows come oldest first); nodes keep first-seen order.
  const byNode = new Map<string, NodeProgress>();
  for (const s of getNodeProgressRows(db, run.id)) {
    const p: NodeProgress = { node: s.node, phase: s.phase ?? s.stepId, ok: s.status === 'ok' };
    if (s.error) p.detail = s.error;
    byNode.set(s.node, p);
  }
  const status: RunStatus = {
    runId: run.id,
    cluster: run.cluster,
    kind: run.kind as RunStatus['kind'],
    state: run.state as RunState,
    requester: run.requester,
    approvals,
    requiredApprovals: run.requiredApprovals,
    plan: parsedPlan(run),
    nodes: [...byNode.values()],
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
  };
  // Which steps ran at all: the card tells "stopped before the switch, nothing changed" from "rolled back" (issue #15).
  const steps = getRunSteps(db, run.id);
  status.stepsStarted = steps.map((r) => r.stepId);
  if (run.currentStep) status.currentStep = run.currentStep;
  // A step waiting to be tried again says why (a closed gate: "paused: outside the maintenance window, …").
  const cur = steps.find((r) => r.stepId === run.currentStep);
  if (run.state === 'running' && cur?.status === 'retry_wait' && cur.error) status.paused = cur.error.replace(/^retryable: /, '');
  if (run.state === 'waiting_operator' && run.waitingFor) status.waiting = waitingInfo(run, steps);
  // A step's `preflight` result (the prep step's live pre-flight), also while that step waits for a decision.
  for (const r of steps) {
    if (!r.resultJson || !r.resultJson.includes('"preflight"')) continue;
    const j = JSON.parse(r.resultJson) as { preflight?: RunStatus['preflight']; result?: { preflight?: RunStatus['preflight'] } };
    const p = j.preflight ?? j.result?.preflight;
    if (p) { status.preflight = p; break; }
  }
  if (run.reason) status.reason = run.reason;
  if (run.messageChannel && run.messageTs) status.message = { channel: run.messageChannel, ts: run.messageTs };
  return status;
}

/** What a waiting run waits for; for an inconclusive step, its deadline and checks (kept in the step row's detail). */
function waitingInfo(run: RunRow, steps: StepRow[]): WaitingInfo {
  const w: WaitingInfo = { for: run.waitingFor as WaitingInfo['for'] };
  if (run.currentStep) w.step = run.currentStep;
  if (run.waitingFor !== 'inconclusive') return w;
  if (run.wakeAtMs !== null) w.decideBy = new Date(run.wakeAtMs).toISOString();
  const row = steps.find((s) => s.stepId === run.currentStep && s.status === 'inconclusive');
  const detail = row?.resultJson ? (JSON.parse(row.resultJson) as { checks?: unknown }) : {};
  if (Array.isArray(detail.checks)) w.checks = detail.checks as NonNullable<WaitingInfo['checks']>;
  return w;
}
