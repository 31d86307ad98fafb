// Pure mappings from Kubernetes objects (plain JSON from a watch, or client-node models from a list) to the
// Cluster port's shapes. Only the fields we read are typed; timestamps may be Date (models) or string (JSON).
import type { ConfigMapInfo, DaemonSetInfo, JobResult, NodeInfo, PodInfo, ServiceInfo } from './cluster.js';
import { parseMark, type ConfigMapMark, type DaemonSetMark } from './write-mark.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any;

const iso = (t: unknown): string | undefined => (t instanceof Date ? t.toISOString() : typeof t === 'string' ? t : undefined);

export function toNodeInfo(n: Obj): NodeInfo {
  const info = n.status?.nodeInfo ?? {};
  const ready = (n.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
  return {
    name: n.metadata?.name ?? '',
    uid: n.metadata?.uid ?? '',
    ready,
    kernelVersion: info.kernelVersion ?? '',
    osImage: info.osImage ?? '',
    containerRuntimeVersion: info.containerRuntimeVersion ?? '',
    kubeletVersion: info.kubeletVersion ?? '',
    kubeProxyVersion: info.kubeProxyVersion ?? '',
    labels: { ...(n.metadata?.labels ?? {}) },
    taints: (n.spec?.taints ?? []).map((t: Obj) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect })),
    ...(n.spec?.providerID ? { providerID: n.spec.providerID } : {}),
    ...(info.operatingSystem ? { operatingSystem: String(info.operatingSystem) } : {}),
  };
}

export function toConfigMapInfo(c: Obj): ConfigMapInfo {
  return {
    name: c.metadata?.name ?? '',
    namespace: c.metadata?.namespace ?? '',
    uid: c.metadata?.uid ?? '',
    resourceVersion: c.metadata?.resourceVersion ?? '',
    data: { ...(c.data ?? {}) },
    ...markOf<ConfigMapMark>(c),
  };
}

function markOf<T>(o: Obj): { writeMark?: T } {
  const m = parseMark<T>(o.metadata?.annotations);
  return m ? { writeMark: m } : {};
}

export function toDaemonSetInfo(d: Obj): DaemonSetInfo {
  const us = d.spec?.updateStrategy ?? {};
  const status: Record<string, number | undefined> = {};
  for (const [k, v] of Object.entries(d.status ?? {})) if (typeof v === 'number') status[k] = v;
  return {
    name: d.metadata?.name ?? '',
    namespace: d.metadata?.namespace ?? '',
    uid: d.metadata?.uid ?? '',
    resourceVersion: d.metadata?.resourceVersion ?? '',
    generation: d.metadata?.generation ?? 0,
    ...markOf<DaemonSetMark>(d),
    image: d.spec?.template?.spec?.containers?.[0]?.image ?? '',
    updateStrategy: {
      type: us.type === 'OnDelete' ? 'OnDelete' : 'RollingUpdate',
      ...(us.rollingUpdate ? { rollingUpdate: plain(us.rollingUpdate) } : {}),
    },
    selector: { ...(d.spec?.selector?.matchLabels ?? {}) },
    status,
    placement: toPlacement(d.spec?.template?.spec ?? {}),
  };
}

function toPlacement(ps: Obj): NonNullable<DaemonSetInfo['placement']> {
  const req = (r: Obj) => ({ key: String(r.key ?? ''), operator: String(r.operator ?? ''), ...(Array.isArray(r.values) ? { values: r.values.map(String) } : {}) });
  const terms = ps.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return {
    ...(ps.nodeSelector ? { nodeSelector: { ...ps.nodeSelector } } : {}),
    ...(Array.isArray(terms) ? {
      requiredNodeAffinity: terms.map((t: Obj) => ({
        ...(Array.isArray(t.matchExpressions) ? { matchExpressions: t.matchExpressions.map(req) } : {}),
        ...(Array.isArray(t.matchFields) ? { matchFields: t.matchFields.map(req) } : {}),
      })),
    } : {}),
    ...(Array.isArray(ps.tolerations) ? {
      tolerations: ps.tolerations.map((t: Obj) => ({
        ...(t.key !== undefined ? { key: String(t.key) } : {}), ...(t.operator !== undefined ? { operator: String(t.operator) } : {}),
        ...(t.value !== undefined ? { value: String(t.value) } : {}), ...(t.effect !== undefined ? { effect: String(t.effect) } : {}),
      })),
    } : {}),
  };
}

// Waiting reasons after which a pod will not become Ready without someone changing something.
const STUCK = new Set(['CrashLoopBackOff', 'ErrImagePull', 'ImagePullBackOff', 'CreateContainerConfigError', 'CreateContainerError', 'InvalidImageName', 'RunContainerError']);

export function toPodInfo(p: Obj): PodInfo {
  const cs = p.status?.containerStatuses?.[0];
  const reason = cs?.state?.waiting?.reason ?? cs?.state?.terminated?.reason ?? p.status?.reason;
  const createdAt = iso(p.metadata?.creationTimestamp);
  return {
    name: p.metadata?.name ?? '',
    namespace: p.metadata?.namespace ?? '',
    uid: p.metadata?.uid ?? '',
    ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
    phase: p.status?.phase ?? 'Pending',
    ready: (p.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True'),
    restartCount: cs?.restartCount ?? 0,
    ...(reason ? { reason } : {}),
    labels: { ...(p.metadata?.labels ?? {}) },
    deleting: Boolean(p.metadata?.deletionTimestamp),
    ...(createdAt ? { createdAt } : {}),
  };
}

/** A pod that will not become Ready by itself (failed, or stuck in a crash / image loop). */
export function podFailed(p: PodInfo): boolean {
  return p.phase === 'Failed' || (p.reason !== undefined && STUCK.has(p.reason));
}

export function toServiceInfo(s: Obj): ServiceInfo {
  const ip = s.spec?.clusterIP;
  const ips: string[] = (Array.isArray(s.spec?.clusterIPs) ? s.spec.clusterIPs : []).filter((x: unknown) => typeof x === 'string' && x !== 'None');
  const ext: string[] = Array.isArray(s.spec?.externalIPs) ? s.spec.externalIPs.filter((x: unknown) => typeof x === 'string') : [];
  const lb: string[] = (Array.isArray(s.status?.loadBalancer?.ingress) ? s.status.loadBalancer.ingress : [])
    .map((i: Obj) => i?.ip).filter((x: unknown) => typeof x === 'string');
  return {
    name: s.metadata?.name ?? '',
    namespace: s.metadata?.namespace ?? '',
    ...(ip && ip !== 'None' ? { clusterIP: ip } : {}),
    ...(ips.length > 0 ? { clusterIPs: ips } : {}),
    ...(typeof s.spec?.type === 'string' ? { type: s.spec.type } : {}),
    ...(typeof s.spec?.externalTrafficPolicy === 'string' ? { externalTrafficPolicy: s.spec.externalTrafficPolicy } : {}),
    ...(ext.length > 0 ? { externalIPs: ext } : {}),
    ...(lb.length > 0 ? { loadBalancerIPs: lb } : {}),
    ports: (s.spec?.ports ?? []).map((p: Obj) => ({
      port: p.port, protocol: p.protocol ?? 'TCP',
      ...(typeof p.nodePort === 'number' && p.nodePort > 0 ? { nodePort: p.nodePort } : {}),
      ...(typeof p.name === 'string' && p.name ? { name: p.name } : {}),
    })),
  };
}

/** Job outcome from its status conditions (Complete / Failed), as the Job controller reports it. */
export function jobOutcome(j: Obj): Pick<JobResult, 'outcome' | 'reason'> {
  const conds: Obj[] = j.status?.conditions ?? [];
  const failed = conds.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { outcome: 'failed', reason: failed.reason ?? 'Failed' };
  if (conds.some((c) => c.type === 'Complete' && c.status === 'True')) return { outcome: 'succeeded' };
  return { outcome: 'running' };
}

/** The last line of `text` that is a JSON object (the node-Job contract's result line). */
export function lastJsonObject(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!.trim();
    if (!l.startsWith('{')) continue;
    try {
      const v: unknown = JSON.parse(l);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch { /* not the result line */ }
  }
  return undefined;
}

/** The result a Job's pod left: the termination message of its first container, if it holds the JSON line. */
export function terminationResult(pod: Obj): Record<string, unknown> | undefined {
  const statuses: Obj[] = pod.status?.containerStatuses ?? [];
  for (const cs of statuses) {
    const r = lastJsonObject(cs.state?.terminated?.message) ?? lastJsonObject(cs.lastState?.terminated?.message);
    if (r) return r;
  }
  return undefined;
}

function plain(o: Obj): Record<string, unknown> {
  return JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
}
