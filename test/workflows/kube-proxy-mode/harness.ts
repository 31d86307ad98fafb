// A real engine on a temp-file SQLite DB (real migrations), the kube-proxy-mode workflows and the Workflows
// service, around whatever Cluster the test gives (the HTTP sandbox through K8sCluster, or the in-memory fake).
import type { ClusterConfig } from '../../../src/config.js';
import type { Cluster } from '../../../src/k8s/cluster.js';
import { createEngine, type Engine } from '../../../src/workflows/engine/engine.js';
import { silentLogger, systemClock } from '../../../src/workflows/engine/ports.js';
import type { RunEvent, RunState, RunStatus, Workflows } from '../../../src/workflows/kube-proxy-mode/api.js';
import type { Timing } from '../../../src/workflows/kube-proxy-mode/deps.js';
import { kubeProxyModeWorkflows } from '../../../src/workflows/kube-proxy-mode/kube-proxy-mode-workflows.js';
import { createWorkflows } from '../../../src/workflows/kube-proxy-mode/workflows-service.js';
import { RecordingNotifier } from '../../fakes/recording-notifier.js';
import { auditRows, openTestDb, tempDbPath } from '../engine/test-db.js';
import { CLUSTER } from './harness-config.js';
import { K8sCluster } from '../../../src/k8s/k8s-cluster.js';
import { startSandbox, type SandboxOptions } from '../../../src/sandbox/index.js';

export { CLUSTER };

export const FAST: Partial<Timing> = { syncPollMs: 20, podReadyTimeoutMs: 20_000, jobTimeoutMs: 20_000, jobConcurrency: 10 };

export interface HarnessOptions {
  timing?: Partial<Timing>;
  clusterConfig?: Partial<ClusterConfig>;
  /** Called synchronously for every Notifier event (lets a test act at an exact point of a run). */
  onEvent?: (e: RunEvent) => void;
}

export async function kpmHarness(cluster: Cluster, o: HarnessOptions = {}) {
  const tmp = tempDbPath();
  const db = openTestDb(tmp.path);
  const notifier = new RecordingNotifier();
  const notify = notifier.notify.bind(notifier);
  notifier.notify = (e: RunEvent) => { notify(e); o.onEvent?.(e); };
  const config = { clusters: [{ ...CLUSTER, ...o.clusterConfig }] };
  const clusterFor = () => cluster;
  const engine: Engine = createEngine({
    db, clock: systemClock, notifier, logger: silentLogger, ownerId: 'test',
    workflows: kubeProxyModeWorkflows({ clusterFor, config, timing: { ...FAST, ...o.timing } }),
  });
  await engine.start();
  const workflows: Workflows = createWorkflows({ engine, db, clusterFor, config, clock: systemClock });

  async function waitFor(runId: string, states: RunState[], timeoutMs = 30_000): Promise<RunStatus> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = engine.getRun(runId);
      if (s && states.includes(s.state)) return s;
      if (Date.now() > end) throw new Error(`run ${runId} is ${s?.state} (${s?.reason ?? ''}), expected ${states.join('|')}`);
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  /** plan → approve by U0APPROVER → wait for a terminal state. */
  async function planAndRun(input: Parameters<Workflows['plan']>[1] = {} as never): Promise<RunStatus> {
    const planned = await workflows.plan('cluster-a', input, 'U0REQUESTER');
    if (planned.state !== 'awaiting_approval') throw new Error(`plan is ${planned.state}: ${planned.reason ?? ''}`);
    const a = await workflows.approve(planned.runId, 'U0APPROVER', planned.plan.digest);
    if (!a.ok) throw new Error(`approve: ${a.code} ${a.message}`);
    return waitFor(planned.runId, ['succeeded', 'failed', 'rolled_back', 'voided', 'waiting_operator', 'cancelled']);
  }

  return {
    db, engine, workflows, notifier, waitFor, planAndRun,
    audit: (runId?: string) => auditRows(db, runId),
    async close() { await engine.stop(); db.$client.close(); tmp.cleanup(); },
  };
}

/**
 * A sandbox cluster (its node Jobs' namespace created, as the deploy manifests do), the real K8sCluster client over
 * HTTP and a harness around it; `cleanups` gets what stops them, last first.
 */
export async function sandboxHarness(cleanups: (() => Promise<void>)[], opts: SandboxOptions = {}, h: HarnessOptions = {}) {
  const sb = await startSandbox({ stepMs: 5, ...opts });
  cleanups.push(() => sb.stop());
  sb.store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ipvs-bot-jobs' } });
  const cluster = K8sCluster.fromKubeconfig({ kubeconfig: sb.kubeconfigPath }, { retry: { baseDelayMs: 20, maxDelayMs: 500 } });
  const harness = await kpmHarness(cluster, h);
  cleanups.push(() => harness.close());
  return { sb, cluster, h: harness };
}
