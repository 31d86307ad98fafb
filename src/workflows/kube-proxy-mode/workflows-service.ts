// The Workflows API (api.ts) over the engine: plan() gathers facts (the only Kubernetes reads before approval, so
// the Slack layer calls it after its ack), assembles the plan and creates an awaiting_approval run; rollback()
// plans from the latest snapshot. Errors leave as WorkflowError with a message for the person in the channel.
import type { ClusterConfig } from '../../config.js';
import type { Cluster } from '../../k8s/cluster.js';
import { K8sError } from '../../k8s/errors.js';
import { readProxyMode } from '../../k8s/kube-proxy-config.js';
import { adviseFromFacts } from './advice.js';
import { RolloutError } from '../../k8s/rollout.js';
import { getSnapshot, getStepRows, latestPrepRows, type RunDb } from '../../db/run-store.js';
import { liveChecks, summariseLive } from './live-preflight.js';
import { PrepResult, readResult } from './node-results.js';
import { sysctlRestoreOf, turnedOnStrictArp } from './strict-arp-restore.js';
import type { Engine } from '../engine/engine.js';
import type { Logger } from '../engine/ports.js';
import { silentLogger } from '../engine/ports.js';
import {
  PlanInput, WorkflowError, type ApproveResult, type Plan, type ProxyMode, type RunStatus, type Workflows,
} from './api.js';
import { blockers } from './checks.js';
import { planGatesOf } from './gates/plan-gates.js';
import { configText } from './facts.js';
import { gatherFacts } from './gather-facts.js';
import { assemblePlan, assembleRollbackPlan, planBlocked, policyOf } from './plan.js';
import { attachRehearsal, type RehearseFn } from '../rehearsal/attach-rehearsal.js';

export interface WorkflowsOptions {
  engine: Engine;
  /** Run snapshots (read-only here: rollback plans start from them). */
  db: RunDb;
  clusterFor(name: string): Cluster;
  config: { clusters: readonly ClusterConfig[] };
  clock: { now(): number };
  logger?: Logger;
  /** Rehearses every migrate plan before it is offered for approval (issue #13; rehearsal/rehearse-plan.ts). */
  rehearse?: RehearseFn;
}

export function createWorkflows(o: WorkflowsOptions): Workflows {
  const log = o.logger ?? silentLogger;

  function clusterConfig(name: string): ClusterConfig {
    const c = o.config.clusters.find((x) => x.name === name);
    if (!c) {
      const known = o.config.clusters.map((x) => x.name).join(', ') || 'none configured';
      throw new WorkflowError('unknown_cluster', `I don't know a cluster called "${name.slice(0, 64)}". Known clusters: ${known}.`);
    }
    return c;
  }

  function refuseIfBusy(cluster: string): void {
    const active = o.engine.listRuns({ cluster, active: true })
      .filter((r) => !(r.state === 'awaiting_approval' && Date.parse(r.plan.expiresAt) <= o.clock.now()));
    const busy = active[0];
    if (busy) {
      throw new WorkflowError('locked',
        `Cluster ${cluster} is busy: run ${busy.runId} by <@${busy.requester}> is ${busy.state.replace('_', ' ')}. Wait for it to finish, or cancel it with \`/ipvs cancel ${busy.runId}\`.`);
    }
  }

  async function facts(cluster: string) {
    try {
      return await gatherFacts(o.clusterFor(cluster), cluster);
    } catch (e) {
      throw toWorkflowError(e, cluster, log);
    }
  }

  function create(kind: 'migrate' | 'rollback', plan: Plan, requester: string, required: number, parentRunId?: string): RunStatus {
    const status = o.engine.createRun({
      kind, cluster: plan.cluster, requester, input: plan.input as never, plan: plan as never, planDigest: plan.digest,
      requiredApprovals: required, expiresAt: plan.expiresAt, ...(parentRunId ? { parentRunId } : {}),
    });
    if (!planBlocked(plan)) return status;
    // A blocked plan is still recorded (and shown with its reasons), but it can never be approved.
    const reason = `blocked by pre-flight checks: ${blockers(plan.checks).map((c) => c.message).join(' ')}`;
    return o.engine.reject(status.runId, 'ipvs-bot', reason);
  }

  /** The cluster's last prep results judged for this plan's target (plan card; live-preflight.ts). */
  function lastLivePreflight(cluster: string, plan: Plan): Plan['livePreflight'] {
    const last = latestPrepRows(o.db, cluster);
    if (!last) return undefined;
    const results = Object.fromEntries(last.rows.map((r) => [r.node, readResult(PrepResult, safeJson(r.resultJson) ?? { ok: r.status === 'ok', errors: [] })]));
    const summary = summariseLive(results, plan.targetMode);
    if (!summary) return undefined;
    return { ...summary, checks: liveChecks(summary, plan.targetMode, plan.jobContext?.kubeProxyMinor), fromRun: last.runId, at: last.at };
  }

  const api: Workflows = {
    async clusters() {
      return Promise.all(o.config.clusters.map(async (c) => {
        try {
          // The same read-only facts a plan gathers, so the recommendation matches what a plan card would say.
          const f = await gatherFacts(o.clusterFor(c.name), c.name);
          const text = configText(f);
          let m: ReturnType<typeof readProxyMode> | undefined;
          try { m = text === undefined ? undefined : readProxyMode(text); } catch { m = undefined; }
          const mode: ProxyMode | 'unknown' = m === undefined ? 'unknown' : m === '' ? 'iptables' : m;
          const a = adviseFromFacts(f);
          return { name: c.name, mode, production: c.production, recommendation: `${a.recommendation.mode} — ${a.recommendation.reason.replace(/\.$/, '')}` };
        } catch (e) {
          return { name: c.name, mode: 'unknown' as const, production: c.production, error: toWorkflowError(e, c.name, log).message };
        }
      }));
    },

    async plan(cluster, rawInput, requester, opts) {
      const cfg = clusterConfig(cluster);
      const parsed = PlanInput.safeParse(rawInput);
      if (!parsed.success) throw new WorkflowError('invalid', `That plan request is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}.`);
      refuseIfBusy(cluster);
      const f = await facts(cluster);
      let plan: Plan;
      try {
        plan = assemblePlan(f, parsed.data, policyOf(cfg), o.clock);
      } catch (e) {
        if (e instanceof RolloutError) throw new WorkflowError('invalid', e.message);
        throw e;
      }
      plan = await attachRehearsal(plan, f, cfg, o.rehearse, opts?.rehearse === false);
      const gates = planGatesOf(cfg); if (gates) plan.gates = gates;
      const live = lastLivePreflight(cluster, plan); if (live) plan.livePreflight = live;
      return create('migrate', plan, requester, cfg.requiredApprovals);
    },

    async approve(runId, approver, digest): Promise<ApproveResult> {
      const run = o.engine.getRun(runId);
      if (!run) return { ok: false, code: 'not_found', message: `No run ${runId}.` };
      const cfg = o.config.clusters.find((c) => c.name === run.cluster);
      // User lists are checked here; user-group membership needs Slack and is checked by the bot's authz first.
      if (cfg && cfg.approvers.usergroups.length === 0 && !cfg.approvers.users.includes(approver)) {
        return { ok: false, code: 'not_approver', message: `You are not an approver for ${run.cluster}. Approvers: ${cfg.approvers.users.map((u) => `<@${u}>`).join(', ') || 'none configured'}.` };
      }
      return o.engine.approve(runId, approver, digest);
    },

    async reject(runId, user, reason) {
      return o.engine.reject(runId, user, reason.slice(0, 500));
    },

    async rollback(clusterOrRunId, requester) {
      const parent = findRollbackSource(clusterOrRunId);
      const cfg = clusterConfig(parent.cluster);
      const snap = getSnapshot(o.db, parent.runId);
      if (!snap) throw new WorkflowError('not_found', `Run ${parent.runId} never changed the cluster (no snapshot), so there is nothing to roll back.`);
      refuseIfBusy(parent.cluster);
      const f = await facts(parent.cluster);
      const plan = assembleRollbackPlan(f, { parentRunId: parent.runId, parentInput: parent.plan.input, snapshotText: snap.configmapText }, policyOf(cfg), o.clock);
      if (plan.currentMode === 'ipvs' && turnedOnStrictArp(parent.plan.input, snap.configmapText)) {
        const prep = Object.fromEntries(getStepRows(o.db, parent.runId, 'prepare-nodes').filter((r) => r.node !== '')
          .map((r) => [r.node, (safeJson(r.resultJson) ?? {}) as { sysctlsBefore?: unknown }]));
        const restore = sysctlRestoreOf(prep);
        if (restore) plan.restoreSysctls = restore;
      }
      const gates = planGatesOf(cfg); if (gates) plan.gates = gates;
      return create('rollback', plan, requester, cfg.rollbackRequiredApprovals ?? cfg.requiredApprovals, parent.runId);
    },

    async decide(runId, user, decision, note) {
      return o.engine.decide(runId, user, decision, note);
    },

    async cancel(runId, user) {
      return o.engine.cancel(runId, user);
    },

    async status(clusterOrRunId) {
      if (clusterOrRunId === undefined || clusterOrRunId === '') {
        const active = o.engine.listRuns({ active: true });
        return active.length > 0 ? active : o.engine.listRuns({ limit: 10 });
      }
      if (o.config.clusters.some((c) => c.name === clusterOrRunId)) return o.engine.listRuns({ cluster: clusterOrRunId, limit: 10 });
      const run = o.engine.getRun(clusterOrRunId);
      if (!run) throw new WorkflowError('not_found', `No cluster or run called "${clusterOrRunId.slice(0, 64)}". \`/ipvs clusters\` lists the clusters.`);
      return [run];
    },

    async attachMessage(runId, channel, ts) {
      o.engine.attachMessage(runId, channel, ts);
    },
  };

  function findRollbackSource(clusterOrRunId: string): RunStatus {
    const byId = o.engine.getRun(clusterOrRunId);
    if (byId) {
      if (byId.kind !== 'migrate') throw new WorkflowError('invalid', `Run ${byId.runId} is a ${byId.kind}; roll back the migration it belongs to.`);
      return byId;
    }
    clusterConfig(clusterOrRunId);
    // A migration still running (or awaiting approval) has no finished snapshot yet: say busy, naming it (#14 item 12).
    refuseIfBusy(clusterOrRunId);
    const candidate = o.engine.listRuns({ cluster: clusterOrRunId, limit: 50 })
      .find((r) => r.kind === 'migrate' && (r.state === 'succeeded' || r.state === 'failed') && getSnapshot(o.db, r.runId));
    if (!candidate) throw new WorkflowError('not_found', `No finished migration of ${clusterOrRunId} has a snapshot to roll back to.`);
    return candidate;
  }

  return api;
}

/** Kubernetes failures while planning, as messages for the channel (detail goes to the operator's log). */
function toWorkflowError(e: unknown, cluster: string, log: Logger): WorkflowError {
  if (e instanceof WorkflowError) return e;
  log.warn({ cluster, err: e instanceof Error ? e.message : String(e) }, 'reading the cluster failed');
  if (e instanceof K8sError) {
    if (e.kind === 'Forbidden' || e.kind === 'Unauthorized') {
      return new WorkflowError('forbidden', `The bot may not read what it needs in ${cluster} (${e.kind}). Check its RBAC with \`ipvs-bot doctor\`.`, { cause: e });
    }
    const silent = /did not answer within \S+/.exec(e.message);
    if (silent) return new WorkflowError('unreachable', `I could not reach ${cluster}: the API server ${silent[0]}. Try again in a minute.`, { cause: e });
    return new WorkflowError('unreachable', `I could not reach ${cluster}'s API server (${e.kind}${e.status ? ` ${e.status}` : ''}). Try again in a minute.`, { cause: e });
  }
  return new WorkflowError('internal', `Something went wrong while reading ${cluster}; the operator log has the details.`, { cause: e });
}

function safeJson(text: string | null): unknown {
  if (!text) return undefined;
  try { return JSON.parse(text) as unknown; } catch { return undefined; }
}
