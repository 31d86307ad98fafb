// Cluster-level faults tests toggle at run time (request-level faults are in faults.ts, H1's).
import type { ObjectStore } from './object-store.js';
import { isoNow } from './controllers/context.js';

export class ClusterFaults {
  /** Nodes whose Job pods start and then never finish (no result, no exit): the Job runs into its deadline. */
  readonly jobsNeverComplete = new Set<string>();
  /** Nodes whose kube-proxy exits at every start, whatever the mode (CrashLoopBackOff). */
  readonly kubeProxyCrashLoop = new Set<string>();

  /** Nodes whose Job pods exit 1 (after writing their result): the Job retries up to backoffLimit, then fails. */
  readonly jobsFail = new Set<string>();

  failJobsOn(node: string, on = true): void { toggle(this.jobsFail, node, on); }
  hangJobsOn(node: string, on = true): void { toggle(this.jobsNeverComplete, node, on); }
  crashKubeProxyOn(node: string, on = true): void { toggle(this.kubeProxyCrashLoop, node, on); }
}

function toggle(s: Set<string>, v: string, on: boolean) { if (on) s.add(v); else s.delete(v); }

/**
 * Edits `config.conf` of kube-system/kube-proxy like a person with `kubectl edit` would: a plain update through the
 * store (new resourceVersion, watchers see MODIFIED), not through the bot. `edit` gets and returns the file text.
 */
export function editKubeProxyConfig(store: ObjectStore, edit: (configConf: string) => string): void {
  const cm = store.get('configmaps', 'kube-system', 'kube-proxy');
  if (!cm) throw new Error('configmap kube-system/kube-proxy does not exist');
  const data = { ...((cm.data ?? {}) as Record<string, string>) };
  data['config.conf'] = edit(data['config.conf'] ?? '');
  store.update('configmaps', { ...cm, data });
}

/** Sets `mode:` in config.conf (keeps everything else): the usual behind-the-back edit. */
export function setModeBehindBotsBack(store: ObjectStore, mode: string): void {
  editKubeProxyConfig(store, (t) => t.replace(/^mode:.*$/m, `mode: ${JSON.stringify(mode)}`));
}

/** Marks a node NotReady (kubelet stopped posting status) or Ready again, with the taints the node controller adds. */
export function setNodeReady(store: ObjectStore, node: string, ready: boolean, now = new Date()): void {
  store.mutate('nodes', undefined, node, (n) => {
    const status = (n.status ?? {}) as { conditions?: Record<string, unknown>[] };
    const spec = (n.spec ?? {}) as { taints?: { key: string; effect: string; timeAdded?: string }[] };
    const t = isoNow(now);
    status.conditions = (status.conditions ?? []).map((c) => {
      if (ready) {
        return c.type === 'Ready'
          ? { ...c, status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: t, lastTransitionTime: t }
          : { ...c, status: 'False', lastHeartbeatTime: t };
      }
      return { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: t };
    });
    const others = (spec.taints ?? []).filter((x) => x.key !== 'node.kubernetes.io/unreachable');
    spec.taints = ready ? others : [...others,
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: t },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: t }];
    if (spec.taints.length === 0) delete spec.taints;
    n.spec = spec;
    n.status = status;
  });
}

export function nodeIsReady(n: { [k: string]: unknown } | undefined): boolean {
  const c = ((n?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []);
  return c.some((x) => x.type === 'Ready' && x.status === 'True');
}
