// An in-memory Workflows with the engine's approval behaviour (quorum of distinct approvers, no self-approval,
// digest binding, expiry), for the Slack listener tests. Optional delays stand in for Kubernetes latency.
import type { ClusterConfig } from '../../src/config.js';
import {
  WorkflowError, type ApproveResult, type NodeFacts, type Plan, type PlanInput, type RunStatus, type Workflows,
} from '../../src/workflows/kube-proxy-mode/api.js';

const ACTIVE = new Set(['awaiting_approval', 'approved', 'running', 'waiting_operator', 'rolling_back']);

export function sampleNodes(n: number): NodeFacts[] {
  return Array.from({ length: n }, (_, i) => ({
    name: i === 0 ? 'cp-0' : `worker-${String(i).padStart(3, '0')}`, ready: i % 17 !== 5, kernel: '5.15.0-105-generic',
    osImage: 'Ubuntu 22.04.4 LTS', runtime: 'containerd://1.7.13', taints: i === 0 ? ['node-role.kubernetes.io/control-plane:NoSchedule'] : [], controlPlane: i === 0,
  }));
}

export function samplePlan(cluster: string, input: PlanInput, o: { nodes?: number; version?: string; now?: number; ttlMs?: number; digest?: string; kind?: 'migrate' | 'rollback' } = {}): Plan {
  const nodes = sampleNodes(o.nodes ?? 3);
  const now = o.now ?? Date.parse('2026-01-01T00:00:00Z');
  const workers = nodes.slice(1).map((x) => x.name);
  const batches: string[][] = [];
  for (let i = 1; i < workers.length; i += 2) batches.push(workers.slice(i, i + 2));
  batches.push([nodes[0]!.name]);
  return {
    cluster, kind: o.kind ?? 'migrate', version: o.version ?? 'v1.28.7', currentMode: 'iptables', targetMode: input.targetMode, input, nodes,
    checks: [
      { id: 'kernel-modules', verdict: 'pass', message: 'ip_vs modules available on every node' },
      { id: 'node-ready', verdict: nodes.some((x) => !x.ready) ? 'warn' : 'pass', message: 'some nodes are NotReady and are skipped', nodes: nodes.filter((x) => !x.ready).map((x) => x.name) },
      { id: 'calico', verdict: 'warn', message: 'Calico detected: calico-node is restarted per node after kube-proxy' },
    ],
    configDiff: `--- a/config.conf\n+++ b/config.conf\n@@ -30,7 +30,7 @@\n ipvs:\n-  scheduler: ""\n+  scheduler: "${input.scheduler}"\n   strictARP: ${input.strictArp}\n-mode: ""\n+mode: "${input.targetMode}"\n`,
    rollout: { canary: workers[0] ?? nodes[0]!.name, batches },
    cleanup: { method: input.cleanup, perNode: Object.fromEntries(nodes.map((x) => [x.name, { chains: 12, rules: 40 }])) },
    risks: [], digest: o.digest ?? `sha256-${cluster}-${input.targetMode}-${input.scheduler}`,
    createdAt: new Date(now).toISOString(), expiresAt: new Date(now + (o.ttlMs ?? 3_600_000)).toISOString(),
  };
}

export class FakeWorkflows implements Workflows {
  readonly runs = new Map<string, RunStatus>();
  readonly calls: { method: string; args: unknown[] }[] = [];
  private seq = 0;
  /** Milliseconds each call takes (the bench uses this for realistic delays after the ack). */
  delayMs = 0;
  nodeCount = 3;
  now = (): number => Date.now();
  /** Next plan() throws this (e.g. a WorkflowError('unreachable')). */
  failNext?: Error;

  constructor(private readonly clustersConfig: readonly ClusterConfig[]) {}

  private async tick(method: string, args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const f = this.failNext;
    if (f) { this.failNext = undefined; throw f; }
  }

  private cfg(name: string): ClusterConfig {
    const c = this.clustersConfig.find((x) => x.name === name);
    if (!c) throw new WorkflowError('unknown_cluster', `No cluster named "${name}" is configured.`);
    return c;
  }

  private newRun(cluster: ClusterConfig, plan: Plan, requester: string, required: number): RunStatus {
    for (const r of this.runs.values()) {
      if (r.cluster === cluster.name && ACTIVE.has(r.state)) throw new WorkflowError('locked', `Cluster ${cluster.name} already has run ${r.runId} (${r.state}).`);
    }
    const at = new Date(this.now()).toISOString();
    const run: RunStatus = {
      runId: `run-${++this.seq}`, cluster: cluster.name, kind: plan.kind, state: 'awaiting_approval', requester, approvals: [],
      requiredApprovals: required, plan, nodes: [], createdAt: at, updatedAt: at,
    };
    this.runs.set(run.runId, run);
    return structuredClone(run);
  }

  async clusters(): Promise<{ name: string; mode: 'iptables' | 'ipvs' | 'nftables' | 'unknown'; production: boolean; error?: string }[]> {
    await this.tick('clusters', []);
    return this.clustersConfig.map((c) => ({ name: c.name, mode: 'iptables', production: c.production }));
  }

  async plan(cluster: string, input: PlanInput, requester: string): Promise<RunStatus> {
    await this.tick('plan', [cluster, input, requester]);
    const c = this.cfg(cluster);
    return this.newRun(c, samplePlan(cluster, input, { nodes: this.nodeCount, now: this.now(), ttlMs: c.approvalTtlMs }), requester, c.requiredApprovals);
  }

  async approve(runId: string, approver: string, digest: string): Promise<ApproveResult> {
    await this.tick('approve', [runId, approver, digest]);
    const r = this.runs.get(runId);
    if (!r) return { ok: false, code: 'not_found', message: 'no such run' };
    if (r.state !== 'awaiting_approval') return { ok: false, code: 'not_awaiting', message: r.state };
    if (Date.parse(r.plan.expiresAt) <= this.now()) { r.state = 'expired'; return { ok: false, code: 'expired', message: 'plan expired' }; }
    if (r.requester === approver) return { ok: false, code: 'self_approval', message: 'requester cannot approve' };
    const c = this.cfg(r.cluster);
    if (!c.approvers.users.includes(approver) && c.approvers.usergroups.length === 0) return { ok: false, code: 'not_approver', message: 'not an approver' };
    if (digest !== r.plan.digest) return { ok: false, code: 'digest_mismatch', message: 'digest differs' };
    if (r.approvals.some((a) => a.user === approver)) return { ok: false, code: 'already_approved', message: 'already approved' };
    r.approvals.push({ user: approver, at: new Date(this.now()).toISOString() });
    const started = r.approvals.length >= r.requiredApprovals;
    if (started) { r.state = 'running'; r.currentStep = 'prepare-nodes'; }
    r.updatedAt = new Date(this.now()).toISOString();
    return { ok: true, status: structuredClone(r), started };
  }

  async reject(runId: string, user: string, reason: string): Promise<RunStatus> {
    await this.tick('reject', [runId, user, reason]);
    const r = this.get(runId);
    if (r.state !== 'awaiting_approval') throw new WorkflowError('invalid', `Run ${runId} is ${r.state}; only a run awaiting approval can be rejected.`);
    r.state = 'rejected'; r.reason = `Rejected by <@${user}>: ${reason}`;
    return structuredClone(r);
  }

  async rollback(clusterOrRunId: string, requester: string): Promise<RunStatus> {
    await this.tick('rollback', [clusterOrRunId, requester]);
    const name = this.runs.get(clusterOrRunId)?.cluster ?? clusterOrRunId;
    const c = this.cfg(name);
    const plan = samplePlan(name, { targetMode: 'iptables', scheduler: 'rr', strictArp: false, batch: 1, cleanup: 'targeted', autoRollback: true },
      { nodes: this.nodeCount, now: this.now(), kind: 'rollback', digest: `sha256-rollback-${name}` });
    plan.currentMode = 'ipvs';
    return this.newRun(c, plan, requester, c.rollbackRequiredApprovals ?? c.requiredApprovals);
  }

  async cancel(runId: string, user: string): Promise<RunStatus> {
    await this.tick('cancel', [runId, user]);
    const r = this.get(runId);
    if (!ACTIVE.has(r.state)) throw new WorkflowError('invalid', `Run ${runId} already ended (${r.state}).`);
    r.state = 'cancelled'; r.reason = `Cancelled by <@${user}>`;
    return structuredClone(r);
  }

  async decide(runId: string, user: string, decision: 'continue' | 'rollback' | 'abort', note?: string): Promise<RunStatus> {
    await this.tick('decide', [runId, user, decision, note]);
    const r = this.get(runId);
    if (r.state !== 'waiting_operator') throw new WorkflowError('invalid', `Run ${runId} is ${r.state}; it is not waiting for a decision.`);
    r.state = decision === 'continue' ? 'running' : decision === 'rollback' ? 'rolling_back' : 'failed';
    delete r.waiting;
    return structuredClone(r);
  }

  async status(clusterOrRunId?: string): Promise<RunStatus[]> {
    await this.tick('status', [clusterOrRunId]);
    const all = [...this.runs.values()];
    const picked = clusterOrRunId === undefined ? all.filter((r) => ACTIVE.has(r.state))
      : all.filter((r) => r.runId === clusterOrRunId || r.cluster === clusterOrRunId);
    return structuredClone(picked);
  }

  async attachMessage(runId: string, channel: string, ts: string): Promise<void> {
    await this.tick('attachMessage', [runId, channel, ts]);
    this.get(runId).message = { channel, ts };
  }

  private get(runId: string): RunStatus {
    const r = this.runs.get(runId);
    if (!r) throw new WorkflowError('not_found', `No run ${runId}.`);
    return r;
  }
}
