// In-memory object store with Kubernetes write semantics (resourceVersion, uid, generation, no-op writes keep the RV)
// and a bounded per-resource event history for resumable watches. Stored objects are never mutated in place: every
// write stores a fresh object, so watch subscribers and informers may share them read-only.
import { randomUUID } from 'node:crypto';
import { matchesFields, matchesLabelSelector, parseFieldSelector, parseLabelSelector } from './api-selectors.js';

export { matchesLabelSelector } from './api-selectors.js';

export type Resource =
  | 'namespaces' | 'nodes' | 'configmaps' | 'services' | 'endpoints' | 'endpointslices' | 'events' | 'pods'
  | 'serviceaccounts' | 'daemonsets' | 'controllerrevisions' | 'deployments' | 'replicasets' | 'jobs' | 'leases';

export const RESOURCES: readonly Resource[] = ['namespaces', 'nodes', 'configmaps', 'services', 'endpoints',
  'endpointslices', 'events', 'pods', 'serviceaccounts', 'daemonsets', 'controllerrevisions', 'deployments',
  'replicasets', 'jobs', 'leases'];
/** apiVersion and kind per resource, filled in when a writer leaves them out. */
export const TYPE_OF: Readonly<Record<Resource, readonly [string, string]>> = {
  namespaces: ['v1', 'Namespace'], nodes: ['v1', 'Node'], configmaps: ['v1', 'ConfigMap'], services: ['v1', 'Service'],
  endpoints: ['v1', 'Endpoints'], endpointslices: ['discovery.k8s.io/v1', 'EndpointSlice'], events: ['v1', 'Event'], pods: ['v1', 'Pod'],
  serviceaccounts: ['v1', 'ServiceAccount'], daemonsets: ['apps/v1', 'DaemonSet'], controllerrevisions: ['apps/v1', 'ControllerRevision'],
  deployments: ['apps/v1', 'Deployment'], replicasets: ['apps/v1', 'ReplicaSet'], jobs: ['batch/v1', 'Job'], leases: ['coordination.k8s.io/v1', 'Lease'],
};
export const CLUSTER_SCOPED: ReadonlySet<Resource> = new Set(['namespaces', 'nodes']);
/** Kinds whose metadata.generation tracks spec changes (1.28: not pods, not configmaps). */
export const GENERATION_KINDS: ReadonlySet<Resource> = new Set(['daemonsets', 'deployments', 'replicasets', 'jobs']);
/** Kinds with a status subresource: PUT of the main resource ignores status, PUT of /status ignores the rest. */
export const STATUS_KINDS: ReadonlySet<Resource> = new Set(['nodes', 'namespaces', 'services', 'pods', 'daemonsets',
  'deployments', 'replicasets', 'jobs']);

export interface OwnerReference {
  apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean;
}
export interface Meta {
  name: string; namespace?: string; uid?: string; resourceVersion?: string; generation?: number;
  creationTimestamp?: string; generateName?: string; labels?: Record<string, string>; annotations?: Record<string, string>;
  deletionTimestamp?: string; deletionGracePeriodSeconds?: number; finalizers?: string[]; ownerReferences?: OwnerReference[];
  [k: string]: unknown;
}
export type K8sObject = { apiVersion: string; kind: string; metadata: Meta; [k: string]: unknown };
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED'; resource: Resource; object: K8sObject;
  /** For MODIFIED: the version before this change (shared, read-only); lets selector watches see transitions. */
  prev?: K8sObject;
}
interface HistEvent extends WatchEvent { rv: number }

export type StoreReason = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid';
export class StoreError extends Error {
  constructor(readonly reason: StoreReason, message: string, readonly resource?: Resource, readonly objectName?: string) {
    super(message);
    this.name = 'StoreError';
  }
}

const clone = <T>(o: T): T => structuredClone(o);
const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const SUFFIX = 'bcdfghjklmnpqrstvwxz2456789';

/** Deep equality for JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export interface StoreOptions { historyLimit?: number; startResourceVersion?: number }

export class ObjectStore {
  private rv: number;
  private readonly data = new Map<Resource, Map<string, Map<string, K8sObject>>>();
  private readonly history = new Map<Resource, HistEvent[]>();
  /** Per resource: the oldest RV a watch may resume from (events after it are all retained). */
  private readonly floor = new Map<Resource, number>();
  private readonly subs = new Set<(e: WatchEvent) => void>();
  private readonly changed = new Map<Resource, number>();
  private readonly historyLimit: number;
  /** A failing subscriber must not break the write path or the other subscribers; it is reported here. */
  onSubscriberError: (err: unknown) => void = (err) => { console.error('sandbox store subscriber failed:', err); };

  constructor(opts: StoreOptions = {}) {
    this.rv = opts.startResourceVersion ?? 1;
    this.historyLimit = opts.historyLimit ?? 20_000;
    for (const r of RESOURCES) { this.data.set(r, new Map()); this.history.set(r, []); this.floor.set(r, this.rv); }
  }

  resourceVersion(): string { return String(this.rv); }

  /** RV of the newest change to resource r (0 before any): lets readers cache serialised lists. */
  lastChange(r: Resource): number { return this.changed.get(r) ?? 0; }

  private bucket(r: Resource, ns: string | undefined, create: boolean): Map<string, K8sObject> | undefined {
    const byNs = this.data.get(r)!;
    const key = CLUSTER_SCOPED.has(r) ? '' : ns ?? '';
    let b = byNs.get(key);
    if (!b && create) { b = new Map(); byNs.set(key, b); }
    return b;
  }

  /** The stored object itself (shared, never to be mutated). For the API server's hot read paths. */
  peek(r: Resource, ns: string | undefined, name: string): K8sObject | undefined {
    return this.bucket(r, ns, false)?.get(name);
  }

  get(r: Resource, ns: string | undefined, name: string): K8sObject | undefined {
    const o = this.peek(r, ns, name);
    return o ? clone(o) : undefined;
  }

  /** Matching stored objects, shared read-only, sorted by namespace then name like etcd keys. Throws SelectorError. */
  listShared(r: Resource, ns?: string, opts: { labelSelector?: string; fieldSelector?: string } = {}): K8sObject[] {
    const label = opts.labelSelector ? parseLabelSelector(opts.labelSelector) : undefined;
    const fields = opts.fieldSelector ? parseFieldSelector(r, opts.fieldSelector) : undefined;
    const byNs = this.data.get(r)!;
    const nsKeys = CLUSTER_SCOPED.has(r) ? [''] : ns !== undefined ? [ns] : [...byNs.keys()].sort();
    const out: K8sObject[] = [];
    for (const k of nsKeys) {
      const b = byNs.get(k);
      if (!b) continue;
      const names = [...b.keys()].sort();
      for (const n of names) {
        const o = b.get(n)!;
        if (label && !matchesLabelSelector(o.metadata.labels, opts.labelSelector!)) continue;
        if (fields && !matchesFields(o, fields)) continue;
        out.push(o);
      }
    }
    return out;
  }

  list(r: Resource, ns?: string, opts?: { labelSelector?: string; fieldSelector?: string }): { items: K8sObject[]; resourceVersion: string } {
    return { items: this.listShared(r, ns, opts).map(clone), resourceVersion: this.resourceVersion() };
  }

  create(r: Resource, obj: K8sObject, opts: { manager?: string; uid?: string } = {}): K8sObject {
    const o = clone(obj);
    o.apiVersion = TYPE_OF[r][0];
    o.kind = TYPE_OF[r][1];
    const m = o.metadata ?? ({} as Meta);
    o.metadata = m;
    if (!m.name && m.generateName) {
      do {
        m.name = m.generateName + Array.from({ length: 5 }, () => SUFFIX[Math.floor(Math.random() * SUFFIX.length)]).join('');
      } while (this.peek(r, m.namespace, m.name));
    }
    if (!m.name) throw new StoreError('Invalid', `${r}: name or generateName is required`, r);
    if (CLUSTER_SCOPED.has(r)) delete m.namespace;
    else if (!m.namespace) m.namespace = 'default';
    const b = this.bucket(r, m.namespace, true)!;
    if (b.has(m.name)) throw new StoreError('AlreadyExists', `${r} "${m.name}" already exists`, r, m.name);
    m.uid = opts.uid ?? randomUUID();
    m.creationTimestamp = nowIso();
    delete m.deletionTimestamp;
    if (GENERATION_KINDS.has(r)) m.generation = 1; else delete m.generation;
    m.resourceVersion = String(++this.rv);
    b.set(m.name, o);
    this.emit({ type: 'ADDED', resource: r, object: o, rv: this.rv });
    return clone(o);
  }

  /** Builds the next version of `cur` from `obj`; returns undefined when nothing changed. */
  private merge(r: Resource, cur: K8sObject, obj: K8sObject, status: boolean | undefined, raw: boolean): K8sObject | undefined {
    let next: K8sObject;
    if (raw) next = clone(obj);
    else if (status) next = { ...clone(cur), status: clone(obj.status) };
    else {
      next = clone(obj);
      if (STATUS_KINDS.has(r)) { if (cur.status === undefined) delete next.status; else next.status = clone(cur.status); }
    }
    if (status && !raw) next.metadata = clone(cur.metadata);
    next.apiVersion = cur.apiVersion;
    next.kind = cur.kind;
    const m = next.metadata;
    m.name = cur.metadata.name;
    if (cur.metadata.namespace !== undefined) m.namespace = cur.metadata.namespace;
    m.uid = cur.metadata.uid;
    m.creationTimestamp = cur.metadata.creationTimestamp;
    if (cur.metadata.deletionTimestamp && !raw) m.deletionTimestamp = cur.metadata.deletionTimestamp;
    m.resourceVersion = cur.metadata.resourceVersion;
    if (GENERATION_KINDS.has(r)) {
      m.generation = cur.metadata.generation ?? 1;
      const specChanged = !jsonEqual(next.spec, cur.spec);
      const deleting = !!m.deletionTimestamp && !cur.metadata.deletionTimestamp;
      if ((specChanged && !status) || deleting) m.generation += 1;
    } else delete m.generation;
    if (jsonEqual(next, cur)) return undefined;
    return next;
  }

  private commit(r: Resource, prev: K8sObject, next: K8sObject): K8sObject {
    next.metadata.resourceVersion = String(++this.rv);
    this.bucket(r, next.metadata.namespace, true)!.set(next.metadata.name, next);
    this.emit({ type: 'MODIFIED', resource: r, object: next, prev, rv: this.rv });
    return clone(next);
  }

  update(r: Resource, obj: K8sObject, opts: { expectedResourceVersion?: string; status?: boolean } = {}): K8sObject {
    const name = obj.metadata?.name;
    const cur = this.peek(r, obj.metadata?.namespace, name);
    if (!cur) throw new StoreError('NotFound', `${r} "${name}" not found`, r, name);
    if (opts.expectedResourceVersion !== undefined && opts.expectedResourceVersion !== cur.metadata.resourceVersion) {
      throw new StoreError('Conflict', `Operation cannot be fulfilled on ${r} "${name}": the object has been modified; please apply your changes to the latest version and try again`, r, name);
    }
    const next = this.merge(r, cur, obj, opts.status, false);
    return next ? this.commit(r, cur, next) : clone(cur);
  }

  mutate(r: Resource, ns: string | undefined, name: string, fn: (o: K8sObject) => void, opts: { status?: boolean } = {}): K8sObject | undefined {
    const cur = this.peek(r, ns, name);
    if (!cur) return undefined;
    const draft = clone(cur);
    fn(draft);
    const next = this.merge(r, cur, draft, opts.status, true);
    if (next && GENERATION_KINDS.has(r) && opts.status) next.metadata.generation = cur.metadata.generation;
    return next ? this.commit(r, cur, next) : clone(cur);
  }

  delete(r: Resource, ns: string | undefined, name: string, opts: { uid?: string; gracePeriodSeconds?: number } = {}): K8sObject | undefined {
    const b = this.bucket(r, ns, false);
    const cur = b?.get(name);
    if (!b || !cur) return undefined;
    if (opts.uid !== undefined && opts.uid !== cur.metadata.uid) {
      throw new StoreError('Conflict', `Operation cannot be fulfilled on ${r} "${name}": the UID in the precondition (${opts.uid}) does not match the UID in record (${cur.metadata.uid}). The object might have been deleted and then recreated`, r, name);
    }
    b.delete(name);
    const gone: K8sObject = { ...cur, metadata: { ...cur.metadata, resourceVersion: String(++this.rv) } };
    this.emit({ type: 'DELETED', resource: r, object: gone, rv: this.rv });
    return clone(gone);
  }

  subscribe(fn: (e: WatchEvent) => void): () => void {
    this.subs.add(fn);
    return () => { this.subs.delete(fn); };
  }

  /** Events of `r` with RV > rv, or 'expired' when history no longer reaches back to rv. */
  eventsSince(rv: string, r: Resource): WatchEvent[] | 'expired' {
    const n = Number(rv);
    if (!Number.isFinite(n) || n < this.floor.get(r)!) return 'expired';
    const h = this.history.get(r)!;
    let lo = 0, hi = h.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (h[mid]!.rv <= n) lo = mid + 1; else hi = mid; }
    return h.slice(lo).map(({ type, resource, object, prev }) => (prev ? { type, resource, object, prev } : { type, resource, object }));
  }

  /** Oldest RV a watch on r can resume from (for the 410 message). */
  oldestResourceVersion(r: Resource): string { return String(this.floor.get(r)!); }

  /** Forget all history, as a freshly started apiserver's watch cache would (older RVs then get 410 Expired). */
  compact(): void {
    for (const r of RESOURCES) { this.history.set(r, []); this.floor.set(r, this.rv); }
  }

  private emit(e: HistEvent): void {
    this.changed.set(e.resource, e.rv);
    const h = this.history.get(e.resource)!;
    h.push(e);
    if (h.length > this.historyLimit) {
      const drop = h.splice(0, h.length - this.historyLimit);
      this.floor.set(e.resource, drop[drop.length - 1]!.rv);
    }
    const ev: WatchEvent = e.prev ? { type: e.type, resource: e.resource, object: e.object, prev: e.prev } : { type: e.type, resource: e.resource, object: e.object };
    for (const s of this.subs) {
      try { s(ev); } catch (err) { this.onSubscriberError(err); }
    }
  }
}
