// Prometheus metrics on a Registry of our own (never prom-client's global one), so several bots in one process
// (tests, the demo) keep separate counts. Callers use the small `Metrics` interface; GET /metrics serves text().
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface RunStateCount { cluster: string; state: string; count: number }

export interface Metrics {
  /** Content-Type header for the /metrics response. */
  readonly contentType: string;
  /** Prometheus text exposition of every metric, after running the scrape hooks. */
  text(): Promise<string>;
  /** A run reached a final state (result: succeeded | failed | rolled_back | aborted | rejected | expired …). */
  runFinished(cluster: string, kind: string, result: string): void;
  /** Replaces the run_state gauge with the given counts (states absent from `rows` drop to no series). */
  setRunStates(rows: RunStateCount[]): void;
  observeStep(step: string, seconds: number): void;
  /** Starts a timer for one step; call the result when the step ends. Returns the seconds observed. */
  timeStep(step: string): () => number;
  setPendingApprovals(n: number): void;
  /** One Kubernetes API request by verb (get, list, watch, create, patch, delete …). */
  k8sRequest(verb: string): void;
  /** A failed Kubernetes request by verb and K8sError kind (NotFound, Conflict, Forbidden, Transient …). */
  k8sRequestError(verb: string, kind: string): void;
  slackApiError(method: string): void;
  /** Slack answered 429 for this Web API method. */
  slackRateLimited(method: string): void;
  /** One gate evaluation (gate: window | alerts | silence | prometheus:<name>; outcome: open, closed, pass, fail …). */
  gateOutcome(cluster: string, gate: string, outcome: string): void;
  /** How long a node's first Job waited for its restarted kube-proxy's first sync (outcome: synced | not_synced). */
  kubeProxySyncWait(cluster: string, outcome: 'synced' | 'not_synced', seconds: number): void;
  /** Result of the last audit chain verification (`ok` true = intact); `atMs` defaults to now. */
  auditVerified(ok: boolean, atMs?: number): void;
  /** Runs before each scrape, e.g. to refresh gauges from the DB so they are right after a restart. */
  onScrape(hook: () => void | Promise<void>): void;
  /**
   * Feeds k8s_requests_total from an adapter's cumulative per-verb counts (K8sCluster.stats()) at each scrape,
   * adding what changed since the last scrape. Call once per adapter.
   */
  trackK8sRequests(read: () => { requests: Record<string, number> }): void;
}

export interface MetricsOptions {
  /** Prefix of our metric names; default `ipvs_bot_`. */
  prefix?: string;
  /** Node process metrics (CPU, RSS, heap, event loop lag, GC) on the same registry; default true. */
  processMetrics?: boolean;
}

// Steps range from a ConfigMap patch (ms) to waiting for a rollout over many nodes (tens of minutes).
const STEP_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const p = opts.prefix ?? 'ipvs_bot_';
  const registry = new Registry();
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const runs = new Counter({ name: `${p}runs_total`, help: 'Runs that reached a final state.', labelNames: ['cluster', 'kind', 'result'] as const, registers });
  const runState = new Gauge({ name: `${p}run_state`, help: 'Runs currently in each state.', labelNames: ['cluster', 'state'] as const, registers });
  const step = new Histogram({ name: `${p}step_duration_seconds`, help: 'Duration of workflow steps.', labelNames: ['step'] as const, buckets: STEP_BUCKETS, registers });
  const pending = new Gauge({ name: `${p}pending_approvals`, help: 'Runs waiting for approvals.', registers });
  const k8sReq = new Counter({ name: `${p}k8s_requests_total`, help: 'Kubernetes API requests.', labelNames: ['verb'] as const, registers });
  const k8sErr = new Counter({ name: `${p}k8s_request_errors_total`, help: 'Failed Kubernetes API requests by error kind.', labelNames: ['verb', 'kind'] as const, registers });
  const slackErr = new Counter({ name: `${p}slack_api_errors_total`, help: 'Failed Slack Web API calls.', labelNames: ['method'] as const, registers });
  const slack429 = new Counter({ name: `${p}slack_rate_limited_total`, help: 'Slack Web API calls answered 429.', labelNames: ['method'] as const, registers });
  const gates = new Counter({ name: `${p}gate_outcomes_total`, help: 'Gate evaluations by gate and outcome.', labelNames: ['cluster', 'gate', 'outcome'] as const, registers });
  const syncWait = new Histogram({
    name: `${p}kube_proxy_first_sync_wait_seconds`, help: 'Wait for a restarted kube-proxy\'s first sync, per node, as its first Job measured it.',
    labelNames: ['cluster', 'outcome'] as const, buckets: [0, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], registers,
  });
  const auditOk = new Gauge({ name: `${p}audit_chain_last_verify`, help: 'Last audit chain verification: 1 intact, 0 broken.', registers });
  const auditAt = new Gauge({ name: `${p}audit_chain_last_verify_timestamp_seconds`, help: 'When the audit chain was last verified (Unix seconds).', registers });

  const hooks: (() => void | Promise<void>)[] = [];

  return {
    contentType: registry.contentType,
    async text() {
      // A failing hook must not take /metrics down; its gauges just keep their last values.
      for (const h of hooks) await Promise.resolve().then(h).catch(() => undefined);
      return registry.metrics();
    },
    runFinished: (cluster, kind, result) => runs.inc({ cluster, kind, result }),
    setRunStates(rows) {
      runState.reset();
      for (const r of rows) runState.inc({ cluster: r.cluster, state: r.state }, r.count);
    },
    observeStep: (s, seconds) => step.observe({ step: s }, seconds),
    timeStep: (s) => step.startTimer({ step: s }),
    setPendingApprovals: (n) => pending.set(n),
    k8sRequest: (verb) => k8sReq.inc({ verb }),
    k8sRequestError: (verb, kind) => k8sErr.inc({ verb, kind }),
    slackApiError: (method) => slackErr.inc({ method }),
    slackRateLimited: (method) => slack429.inc({ method }),
    gateOutcome: (cluster, gate, outcome) => gates.inc({ cluster, gate, outcome }),
    kubeProxySyncWait: (cluster, outcome, seconds) => syncWait.observe({ cluster, outcome }, seconds),
    auditVerified(ok, atMs = Date.now()) {
      auditOk.set(ok ? 1 : 0);
      auditAt.set(Math.floor(atMs / 1000));
    },
    onScrape: (h) => { hooks.push(h); },
    trackK8sRequests(read) {
      const last = new Map<string, number>();
      hooks.push(() => {
        for (const [verb, n] of Object.entries(read().requests)) {
          const delta = n - (last.get(verb) ?? 0);
          // A reset adapter (resetStats) starts again from zero: count the new requests, never go backwards.
          if (delta > 0) k8sReq.inc({ verb }, delta);
          else if (delta < 0 && n > 0) k8sReq.inc({ verb }, n);
          last.set(verb, n);
        }
      });
    },
  };
}

/** For code that takes a Metrics but runs without one (CLI commands, unit tests of other modules). */
export const noopMetrics: Metrics = {
  contentType: 'text/plain; version=0.0.4; charset=utf-8',
  text: async () => '',
  runFinished() {}, setRunStates() {}, observeStep() {}, timeStep: () => () => 0, setPendingApprovals() {},
  k8sRequest() {}, k8sRequestError() {}, slackApiError() {}, slackRateLimited() {}, gateOutcome() {}, kubeProxySyncWait() {}, auditVerified() {}, onScrape() {},
  trackK8sRequests() {},
};
