// Feeds run metrics from the engine's events (the engine knows nothing of Prometheus): a run reaching a final
// state counts once in runs_total; the time between one current step and the next is that step's duration.
import type { Metrics } from './metrics.js';
import type { Notifier, RunEvent } from './workflows/kube-proxy-mode/api.js';

const FINAL = new Set(['succeeded', 'failed', 'rolled_back', 'rejected', 'expired', 'cancelled', 'voided']);

export function withRunMetrics(inner: Notifier, metrics: Metrics, now: () => number = Date.now): Notifier {
  const finished = new Set<string>();
  const current = new Map<string, { step: string; since: number }>();
  const clusterOf = new Map<string, string>();
  return {
    notify(e: RunEvent) {
      if (e.type === 'node') {
        // A node's verify or rollback result keeps its first Job's wait for the restarted kube-proxy's first sync.
        const sync = e.result['sync'] as { synced?: unknown; waitedMs?: unknown } | undefined;
        if (sync && typeof sync.waitedMs === 'number') metrics.kubeProxySyncWait(clusterOf.get(e.runId) ?? 'unknown', sync.synced === true ? 'synced' : 'not_synced', sync.waitedMs / 1000);
      }
      if (e.type === 'state') {
        const s = e.status;
        clusterOf.set(s.runId, s.cluster);
        const prev = current.get(s.runId);
        if (prev && prev.step !== s.currentStep) metrics.observeStep(prev.step.replace(/:.*$/, ''), (now() - prev.since) / 1000);
        if (s.currentStep && prev?.step !== s.currentStep) current.set(s.runId, { step: s.currentStep, since: now() });
        if (FINAL.has(s.state) && !finished.has(s.runId)) {
          finished.add(s.runId);
          current.delete(s.runId);
          clusterOf.delete(s.runId);
          metrics.runFinished(s.cluster, s.kind, s.state);
        }
      }
      return inner.notify(e);
    },
  };
}
