// Container logs kept by the simulated kubelets, answered with kubelet v1.28's texts (fixtures logs/*).
import type { ObjectStore } from '../object-store.js';

interface ContainerLog { current: string[]; previous?: string[] }

export type PodLogSource = (ns: string, pod: string, container: string, opts: { previous?: boolean; tailLines?: number }) =>
  string | { error: string; status: number };

export class PodLogs {
  private readonly byUid = new Map<string, Map<string, ContainerLog>>();

  /** A new container instance starts: the old one's log becomes `previous`. */
  start(uid: string, container: string, lines: string[]): void {
    let m = this.byUid.get(uid);
    if (!m) { m = new Map(); this.byUid.set(uid, m); }
    const old = m.get(container);
    m.set(container, { current: [...lines], ...(old ? { previous: old.current } : {}) });
  }

  append(uid: string, container: string, lines: string[]): void {
    const c = this.byUid.get(uid)?.get(container);
    if (c) c.current.push(...lines);
    else this.start(uid, container, lines);
  }

  get(uid: string, container: string): ContainerLog | undefined {
    return this.byUid.get(uid)?.get(container);
  }

  forget(uid: string): void { this.byUid.delete(uid); }

  /** The PodLogSource the API server calls for `pods/log` (its own validation has run already). */
  source(store: ObjectStore): PodLogSource {
    return (ns, podName, container, opts) => {
      const pod = store.get('pods', ns, podName) as { metadata: { uid?: string }; status?: { containerStatuses?: { name: string; state?: { waiting?: { reason?: string } } }[] } } | undefined;
      if (!pod) return { error: `pods "${podName}" not found`, status: 404 };
      const log = this.get(String(pod.metadata.uid), container);
      if (opts.previous) {
        if (!log?.previous) return { error: `previous terminated container "${container}" in pod "${podName}" not found`, status: 400 };
        return render(log.previous, opts.tailLines);
      }
      if (!log) {
        const st = pod.status?.containerStatuses?.find((c) => c.name === container);
        const reason = st?.state?.waiting?.reason ?? 'ContainerCreating';
        return { error: `container "${container}" in pod "${podName}" is waiting to start: ${reason}`, status: 400 };
      }
      return render(log.current, opts.tailLines);
    };
  }
}

function render(lines: string[], tail: number | undefined): string {
  const sel = tail === undefined ? lines : tail === 0 ? [] : lines.slice(-tail);
  return sel.length ? sel.join('\n') + '\n' : '';
}
