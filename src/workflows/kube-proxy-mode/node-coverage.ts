// Which nodes the kube-proxy DaemonSet runs on, decided the way the DaemonSet controller decides it
// (kubernetes/kubernetes pkg/controller/daemon/daemon_controller.go `NodeShouldRunDaemonPod`: the pod template's
// nodeSelector and required node affinity must match — component-helpers/scheduling/corev1/nodeaffinity — and every
// NoSchedule/NoExecute taint must be tolerated, with the tolerations the controller adds itself, util/daemonset_util.go
// `AddOrUpdateDaemonPodTolerations`). A node kube-proxy does not run on has nothing to switch, and a Linux Job pinned
// there never runs, so such nodes are skipped: listed on the plan with the reason, no Job, no restart.
import type { DaemonSetInfo, NodeInfo, NodeSelectorRequirement, NodeSelectorTerm, Toleration } from '../../k8s/cluster.js';

export interface SkippedNode { node: string; reason: string }

// Added by the DaemonSet controller to every daemon pod (daemonset_util.go); network-unavailable only for hostNetwork
// pods, which kube-proxy's are.
const CONTROLLER_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' },
];

export function isWindows(n: NodeInfo): boolean {
  return n.labels['kubernetes.io/os'] === 'windows' || n.operatingSystem === 'windows';
}

/** Splits the nodes into those kube-proxy's DaemonSet covers and those it does not (with why). */
export function daemonSetCoverage(ds: DaemonSetInfo | undefined, nodes: readonly NodeInfo[]): { covered: NodeInfo[]; skipped: SkippedNode[] } {
  const covered: NodeInfo[] = [];
  const skipped: SkippedNode[] = [];
  for (const n of nodes) {
    const reason = notCoveredReason(ds, n);
    if (reason) skipped.push({ node: n.name, reason });
    else covered.push(n);
  }
  return { covered, skipped };
}

function notCoveredReason(ds: DaemonSetInfo | undefined, n: NodeInfo): string | undefined {
  const p = ds?.placement;
  if (p?.nodeSelector) {
    const miss = Object.entries(p.nodeSelector).find(([k, v]) => n.labels[k] !== v);
    if (miss) return `kube-proxy's DaemonSet does not run here (nodeSelector ${miss[0]}=${miss[1]}; the node has ${miss[0] in n.labels ? `${miss[0]}=${n.labels[miss[0]]}` : 'no such label'})`;
  }
  if (p?.requiredNodeAffinity && p.requiredNodeAffinity.length > 0 && !p.requiredNodeAffinity.some((t) => termMatches(t, n))) {
    return "kube-proxy's DaemonSet does not run here (its required node affinity does not match the node)";
  }
  const tolerations = [...(p?.tolerations ?? []), ...CONTROLLER_TOLERATIONS];
  const untolerated = n.taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerations.some((tol) => tolerates(tol, t)));
  if (p && untolerated) { // placement unknown (older adapters, fakes): not judged
    return `kube-proxy's DaemonSet does not tolerate the node's taint ${untolerated.key}${untolerated.value ? `=${untolerated.value}` : ''}:${untolerated.effect}`;
  }
  // Even when the DaemonSet would place a pod there, a Windows node runs the Windows kube-proxy (kernelspace mode),
  // which this bot does not switch, and its Linux Jobs cannot run there.
  if (isWindows(n)) return 'Windows node: kube-proxy there runs in kernelspace mode, and the bot\'s node Jobs are Linux containers';
  return undefined;
}

function termMatches(t: NodeSelectorTerm, n: NodeInfo): boolean {
  // An empty term matches nothing (nodeaffinity.go: "a null or empty node selector term matches no objects").
  if (!t.matchExpressions?.length && !t.matchFields?.length) return false;
  return (t.matchExpressions ?? []).every((r) => reqMatches(r, n.labels[r.key]))
    && (t.matchFields ?? []).every((r) => r.key === 'metadata.name' && reqMatches(r, n.name));
}

function reqMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In': return value !== undefined && vals.includes(value);
    case 'NotIn': return value === undefined || !vals.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': case 'Lt': {
      const a = Number(value), b = Number(vals[0]);
      if (value === undefined || !Number.isInteger(a) || !Number.isInteger(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default: return false;
  }
}

/** core/v1 Toleration.ToleratesTaint (staging/src/k8s.io/api/core/v1/toleration.go). */
function tolerates(tol: Toleration, taint: { key: string; value?: string; effect: string }): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  if (!tol.key && tol.operator !== 'Exists') return false;
  if (tol.operator === 'Exists') return true;
  return (tol.value ?? '') === (taint.value ?? '');
}
