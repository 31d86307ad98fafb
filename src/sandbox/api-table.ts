// Server-side Table output (Accept: application/json;as=Table;v=v1;g=meta.k8s.io), the columns kube-apiserver 1.28
// prints for nodes, pods, DaemonSets, ConfigMaps and Jobs (fixtures nodes/list-table*, tables/*); NAME/AGE otherwise.
import type { K8sObject, Resource } from './object-store.js';

type O = Record<string, unknown>;
const obj = (v: unknown): O => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as O) : {});
const arr = (v: unknown): O[] => (Array.isArray(v) ? (v as O[]) : []);
type Col = { name: string; type: 'string' | 'integer'; format?: string; priority?: number; description?: string };

/** k8s.io/apimachinery duration.HumanDuration */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 192) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  const y = Math.floor(h / 24 / 365);
  if (h < 24 * 365 * 8) { const d = Math.floor(h / 24) - y * 365; return d === 0 ? `${y}y` : `${y}y${d}d`; }
  return `${y}y`;
}

const age = (o: K8sObject, now: number) => (o.metadata.creationTimestamp ? humanDuration(now - Date.parse(o.metadata.creationTimestamp)) : '<unknown>');
const NAME: Col = { name: 'Name', type: 'string', format: 'name' };
const AGE: Col = { name: 'Age', type: 'string' };

function nodeRow(n: K8sObject, now: number): unknown[] {
  const st = obj(n.status);
  const ready = arr(st.conditions).find((c) => c.type === 'Ready');
  let status = ready?.status === 'True' ? 'Ready' : 'NotReady';
  if (obj(n.spec).unschedulable) status += ',SchedulingDisabled';
  const roles = Object.keys(n.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice(24)).filter(Boolean);
  const addr = (t: string) => String(arr(st.addresses).find((a) => a.type === t)?.address ?? '<none>');
  const info = obj(st.nodeInfo);
  return [n.metadata.name, status, roles.length ? roles.sort().join(',') : '<none>', age(n, now), info.kubeletVersion ?? '',
    addr('InternalIP'), addr('ExternalIP'), info.osImage ?? '<unknown>', info.kernelVersion ?? '<unknown>', info.containerRuntimeVersion ?? '<unknown>'];
}

function podRow(p: K8sObject, now: number): unknown[] {
  const st = obj(p.status);
  const spec = obj(p.spec);
  const cs = arr(st.containerStatuses);
  const total = arr(spec.containers).length;
  let reason = String(st.reason ?? st.phase ?? '');
  let restarts = 0, lastRestart = 0, ready = 0;
  for (const c of cs) {
    restarts += Number(c.restartCount ?? 0);
    const fin = obj(obj(c.lastState).terminated).finishedAt;
    if (typeof fin === 'string') lastRestart = Math.max(lastRestart, Date.parse(fin));
    if (c.ready) ready++;
  }
  let running = false;
  for (const c of [...cs].reverse()) {
    const s = obj(c.state);
    const w = obj(s.waiting), t = obj(s.terminated);
    if (w.reason) reason = String(w.reason);
    else if (t.reason) reason = String(t.reason);
    else if (Object.keys(t).length) reason = t.signal ? `Signal:${String(t.signal)}` : `ExitCode:${String(t.exitCode)}`;
    else if (c.ready && s.running) running = true;
  }
  if (reason === 'Completed' && running) reason = arr(st.conditions).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
  if (p.metadata.deletionTimestamp) reason = st.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  const rs = restarts > 0 && lastRestart ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : String(restarts);
  const gates = arr(spec.readinessGates);
  return [p.metadata.name, `${ready}/${total}`, reason, rs, age(p, now), String(st.podIP ?? '<none>'), String(spec.nodeName ?? '<none>'),
    String(st.nominatedNodeName ?? '<none>'), gates.length ? `${gates.length}` : '<none>'];
}

const selectorText = (m: unknown) => Object.entries(obj(m)).map(([k, v]) => `${k}=${String(v)}`).join(',') || '<none>';

function dsRow(d: K8sObject, now: number): unknown[] {
  const st = obj(d.status), spec = obj(d.spec), pod = obj(obj(spec.template).spec);
  const n = (k: string) => Number(st[k] ?? 0);
  return [d.metadata.name, n('desiredNumberScheduled'), n('currentNumberScheduled'), n('numberReady'), n('updatedNumberScheduled'),
    n('numberAvailable'), selectorText(pod.nodeSelector), age(d, now), arr(pod.containers).map((c) => c.name).join(','),
    arr(pod.containers).map((c) => c.image).join(','), selectorText(obj(spec.selector).matchLabels)];
}

function jobRow(j: K8sObject, now: number): unknown[] {
  const st = obj(j.status), spec = obj(j.spec);
  const start = typeof st.startTime === 'string' ? Date.parse(st.startTime) : undefined;
  const end = typeof st.completionTime === 'string' ? Date.parse(st.completionTime) : now;
  return [j.metadata.name, `${Number(st.succeeded ?? 0)}/${Number(spec.completions ?? 1)}`, start === undefined ? '' : humanDuration(end - start), age(j, now)];
}

const TABLES: Partial<Record<Resource, { cols: Col[]; row: (o: K8sObject, now: number) => unknown[] }>> = {
  nodes: { cols: [NAME, { name: 'Status', type: 'string' }, { name: 'Roles', type: 'string' }, AGE, { name: 'Version', type: 'string' },
    ...['Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime'].map((name): Col => ({ name, type: 'string', priority: 1 }))], row: nodeRow },
  pods: { cols: [NAME, { name: 'Ready', type: 'string' }, { name: 'Status', type: 'string' }, { name: 'Restarts', type: 'string' }, AGE,
    ...['IP', 'Node', 'Nominated Node', 'Readiness Gates'].map((name): Col => ({ name, type: 'string', priority: 1 }))], row: podRow },
  daemonsets: { cols: [NAME, ...['Desired', 'Current', 'Ready', 'Up-to-date', 'Available'].map((name): Col => ({ name, type: 'integer' })),
    { name: 'Node Selector', type: 'string' }, AGE, ...['Containers', 'Images', 'Selector'].map((name): Col => ({ name, type: 'string', priority: 1 }))], row: dsRow },
  configmaps: { cols: [NAME, { name: 'Data', type: 'string' }, AGE], row: (c, now) => [c.metadata.name, Object.keys(obj(c.data)).length + Object.keys(obj(c.binaryData)).length, age(c, now)] },
  jobs: { cols: [NAME, { name: 'Completions', type: 'string' }, { name: 'Duration', type: 'string' }, AGE], row: jobRow },
};

/** Whether an Accept header asks for a Table (kubectl get: Table v1 first, JSON as fallback). */
export const wantsTable = (accept: string | undefined) => !!accept && /as=Table/.test(accept.split(',')[0] ?? '') && /v=v1(?!beta)/.test(accept.split(',')[0] ?? '');

export function toTable(r: Resource, items: K8sObject[], listMeta: O, includeObject: string | undefined): O {
  const t = TABLES[r] ?? { cols: [NAME, AGE], row: (o: K8sObject, now: number) => [o.metadata.name, age(o, now)] };
  const now = Date.now();
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta,
    columnDefinitions: t.cols.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? c.name, priority: c.priority ?? 0 })),
    rows: items.map((o) => ({
      cells: t.row(o, now),
      object: includeObject === 'None' ? undefined
        : includeObject === 'Object' ? o
        : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
