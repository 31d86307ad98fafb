// Which nodes a DaemonSet covers, as k/k pkg/controller/daemon/daemon_controller.go `NodeShouldRunDaemonPod` decides:
// the template's nodeSelector and required nodeAffinity must match the node, and the pod's tolerations (the template's
// plus those util.AddOrUpdateDaemonPodTolerations adds) must tolerate every NoSchedule/NoExecute taint to run a new pod
// (`shouldRun`); an existing pod keeps running unless a NoExecute taint is not tolerated (`shouldContinueRunning`).
import type { Obj } from './context.js';

interface Taint { key: string; value?: string; effect: string }
interface Toleration { key?: string; operator?: string; value?: string; effect?: string }
interface Requirement { key: string; operator: string; values?: string[] }

/** pkg/controller/daemon/util AddOrUpdateDaemonPodTolerations (network-unavailable only for hostNetwork pods). */
export const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];
export const NETWORK_UNAVAILABLE: Toleration = { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' };

/** k8s.io/api/core/v1 Toleration.ToleratesTaint */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  if (!t.key) return false; // an empty key with Equal matches nothing (validation forbids it)
  return (t.value ?? '') === (taint.value ?? '');
}

/** k8s.io/component-helpers nodeaffinity: one requirement against labels (or fields). */
function matches(req: Requirement, values: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(values, req.key);
  const v = values[req.key];
  switch (req.operator) {
    case 'In': return has && (req.values ?? []).includes(v ?? '');
    case 'NotIn': return !has || !(req.values ?? []).includes(v ?? '');
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt': case 'Lt': {
      const a = Number(v), b = Number(req.values?.[0]);
      if (!has || !Number.isInteger(a) || !Number.isInteger(b)) return false;
      return req.operator === 'Gt' ? a > b : a < b;
    }
    default: return false;
  }
}

/** Required node affinity: the terms are ORed, the expressions of a term ANDed (an empty term matches nothing). */
function affinityMatches(spec: Obj['spec'], node: Obj): boolean {
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as
    { matchExpressions?: Requirement[]; matchFields?: Requirement[] }[] | undefined;
  if (!terms) return true;
  const labels = (node.metadata.labels ?? {}) as Record<string, string>;
  const fields = { 'metadata.name': node.metadata.name };
  return terms.some((t) => {
    const exprs = t.matchExpressions ?? [], flds = t.matchFields ?? [];
    if (exprs.length === 0 && flds.length === 0) return false;
    return exprs.every((r) => matches(r, labels)) && flds.every((r) => matches(r, fields));
  });
}

export function daemonTolerations(tplSpec: Obj['spec']): Toleration[] {
  return [...((tplSpec?.tolerations ?? []) as Toleration[]), ...DAEMON_TOLERATIONS, ...(tplSpec?.hostNetwork ? [NETWORK_UNAVAILABLE] : [])];
}

export interface Placement { shouldRun: boolean; shouldContinueRunning: boolean }

export function nodeShouldRunDaemonPod(ds: Obj, node: Obj): Placement {
  const spec = ds.spec?.template?.spec;
  const selector = (spec?.nodeSelector ?? {}) as Record<string, string>;
  const labels = (node.metadata.labels ?? {}) as Record<string, string>;
  const fits = Object.entries(selector).every(([k, v]) => labels[k] === v) && affinityMatches(spec, node);
  if (!fits) return { shouldRun: false, shouldContinueRunning: false };
  const tol = daemonTolerations(spec);
  const untolerated = (effects: string[]) => ((node.spec?.taints ?? []) as Taint[])
    .some((t) => effects.includes(t.effect) && !tol.some((x) => tolerates(x, t)));
  return { shouldRun: !untolerated(['NoSchedule', 'NoExecute']), shouldContinueRunning: !untolerated(['NoExecute']) };
}
