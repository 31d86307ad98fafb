// The programmatic API the Slack layer and the CLI call (issue #3 item 5). The engine implements it;
// the bot only formats what it returns. Shapes here are the contract between src/bot and src/workflows.
import type { LiveSummary } from './live-preflight.js';
import { z } from 'zod';
import type { Rehearsal } from '../rehearsal/rehearsal-result.js';

export const ProxyMode = z.enum(['iptables', 'ipvs', 'nftables']);
export type ProxyMode = z.infer<typeof ProxyMode>;

export const IpvsScheduler = z.enum(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'dh', 'sed', 'nq', 'mh']);
export type IpvsScheduler = z.infer<typeof IpvsScheduler>;

/** What `/ipvs plan` asks for, after parsing. */
export const PlanInput = z.object({
  targetMode: ProxyMode.default('ipvs'),
  scheduler: IpvsScheduler.default('rr'),
  strictArp: z.boolean().default(false),
  /** A node count, or a percentage of the nodes ("25%"). Applies after the canary. */
  batch: z.union([z.number().int().positive(), z.string().regex(/^\d{1,3}%$/)]).default(1),
  cleanup: z.enum(['targeted', 'kube-proxy', 'none']).default('targeted'),
  autoRollback: z.boolean().default(true),
});
export type PlanInput = z.infer<typeof PlanInput>;

export type Verdict = 'pass' | 'warn' | 'block';
export interface Check { id: string; verdict: Verdict; message: string; nodes?: string[] }

export interface NodeFacts {
  name: string; ready: boolean; kernel: string; osImage: string; runtime: string;
  taints: string[]; controlPlane: boolean;
}

/** Which mode upstream would pick for this cluster and why, and the caveats (advice.ts; issue #7). */
export interface PlanAdvice {
  recommendation: { mode: ProxyMode; reason: string };
  /** Caveats, most important first; each a sentence for the approver. */
  warnings: string[];
  /** How many nodes' kernels allow nftables mode (≥ 5.13), and which do not (names: the approver acts on them). */
  nftablesKernels: { ok: number; tooOld: string[]; unknown: string[] };
}

export interface Plan {
  cluster: string;
  kind: 'migrate' | 'rollback';
  version: string;               // e.g. "v1.28.7"
  currentMode: ProxyMode;        // "" in config.conf is iptables on Linux
  targetMode: ProxyMode;
  input: PlanInput;
  nodes: NodeFacts[];
  checks: Check[];               // blocked when any verdict is 'block'
  configDiff: string;            // unified diff of config.conf
  rollout: { canary: string; batches: string[][] };
  cleanup: { method: PlanInput['cleanup']; perNode?: Record<string, Record<string, number>> };
  risks: string[];
  /** Recommendation and caveats shown on the card; not part of the digest (it is derived from the same facts). */
  advice?: PlanAdvice;
  /** Nodes kube-proxy's DaemonSet does not run on: no Job, no restart (node-coverage.ts). */
  skipped?: { node: string; reason: string }[];
  /** The cluster's DNS domain the verify Job resolves kubernetes.default.svc.<domain> in, and where it came from. */
  clusterDomain?: { value: string; source: 'kubelet-config' | 'coredns' | 'default' };
  /** What every node Job of the run is told about the cluster (node-jobs.ts nodeContext). */
  /** metricsAddress: where the running kube-proxy serves /metrics on a node (config.conf), for the prep Job's live pre-flight. */
  jobContext?: { kubeProxyMinor?: number; serviceVs?: string[]; metricsAddress?: string };
  /** Which gates the run passes (maintenance window, Alertmanager, Prometheus checks), from the cluster's config. */
  gates?: import('./gates/plan-gates.js').PlanGates;
  /**
   * The live pre-flight as the cluster's last prep Jobs read it (an earlier run: nothing runs on the nodes before an
   * approval), for this plan's target; this run's own prep Jobs read it again. Not part of the digest.
   */
  livePreflight?: LiveSummary & { checks: Check[]; fromRun: string; at: string };
  /** Rollback: strictARP's sysctls as the parent migration's prep found them, restored when leaving IPVS. */
  restoreSysctls?: { common: Record<string, string>; nodes?: Record<string, Record<string, string>> };
  /** The plan rehearsed on a sandbox copy of the cluster (issue #13); absent when no rehearsal was configured. */
  rehearsal?: Rehearsal;
  digest: string;                // sha256 over the DESIGN.md digest inputs
  /** What the digest was computed from, so a drift can be explained ("ConfigMap resourceVersion 259 → 301"). */
  basis?: { clusterUid: string; configMapResourceVersion?: string; daemonSetGeneration?: number };
  createdAt: string;             // ISO UTC
  expiresAt: string;             // ISO UTC
}

export type RunState =
  | 'awaiting_approval' | 'approved' | 'running' | 'waiting_operator' | 'rolling_back'
  | 'succeeded' | 'failed' | 'rolled_back' | 'rejected' | 'expired' | 'cancelled' | 'voided';

export interface NodeProgress { node: string; phase: string; ok?: boolean; detail?: string }

export interface RunStatus {
  runId: string;
  cluster: string;
  kind: 'migrate' | 'rollback';
  state: RunState;
  requester: string;
  approvals: { user: string; at: string }[];
  requiredApprovals: number;
  plan: Plan;
  currentStep?: string;
  /** Ids of the run-level steps that started (any outcome), oldest first. */
  stepsStarted?: string[];
  nodes: NodeProgress[];
  reason?: string;               // why it failed / was voided / rolled back
  /** Why the current step waits to be tried again, e.g. "paused: outside the maintenance window, opens …" (gates). */
  paused?: string;
  /** In waiting_operator: what for, which step, the decision deadline (inconclusive) and the checks that paused it. */
  waiting?: WaitingInfo;
  /** The live pre-flight the prep Jobs read from each node's kube-proxy (live-preflight.ts), once prep has run. */
  preflight?: LiveSummary & { checks: { id: string; verdict: Verdict; message: string }[] };
  createdAt: string;
  updatedAt: string;
  /** Slack message that shows this run (channel + ts), once posted. */
  message?: { channel: string; ts: string };
}

export interface WaitingInfo {
  for: 'unknown-outcome' | 'compensation-failed' | 'inconclusive';
  step?: string;
  /** ISO time after which the engine rolls back by itself (inconclusive only). */
  decideBy?: string;
  checks?: { name: string; outcome: string; detail: string; node?: string }[];
}

export type ApproveResult =
  | { ok: true; status: RunStatus; started: boolean }
  | { ok: false; code: 'not_found' | 'self_approval' | 'not_approver' | 'already_approved' | 'digest_mismatch'
      | 'expired' | 'not_awaiting' | 'drifted'; message: string };

/** Events the engine emits; the Slack notifier turns them into chat.update / thread replies. */
export type RunEvent =
  | { type: 'state'; runId: string; status: RunStatus }
  | { type: 'node'; runId: string; node: string; phase: string; ok: boolean; result: Record<string, unknown> }
  | { type: 'log'; runId: string; text: string };

export interface Notifier { notify(event: RunEvent): void | Promise<void> }

export interface Workflows {
  /** `recommendation`: "nftables — reason" (advice.ts), when the cluster could be read. */
  clusters(): Promise<{ name: string; mode: ProxyMode | 'unknown'; production: boolean; error?: string; recommendation?: string }[]>;
  /** `rehearse: false` (`--no-rehearse`) skips the rehearsal; the card then says "not rehearsed". */
  plan(cluster: string, input: PlanInput, requester: string, opts?: { rehearse?: boolean }): Promise<RunStatus>;
  approve(runId: string, approver: string, digest: string): Promise<ApproveResult>;
  reject(runId: string, user: string, reason: string): Promise<RunStatus>;
  rollback(clusterOrRunId: string, requester: string): Promise<RunStatus>;
  cancel(runId: string, user: string): Promise<RunStatus>;
  /** Continue / Roll back / Abort for a run in waiting_operator (engine.decide, audited). */
  decide(runId: string, user: string, decision: 'continue' | 'rollback' | 'abort', note?: string): Promise<RunStatus>;
  status(clusterOrRunId?: string): Promise<RunStatus[]>;
  /** Remember where the run's card lives so updates survive restarts. */
  attachMessage(runId: string, channel: string, ts: string): Promise<void>;
}

/** The one error type the Workflows API throws; `message` is written for the person in the channel. */
export class WorkflowError extends Error {
  constructor(
    readonly code: 'unknown_cluster' | 'locked' | 'not_found' | 'invalid' | 'unreachable' | 'forbidden' | 'internal',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WorkflowError';
  }
}
