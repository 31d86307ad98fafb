// DELETE semantics (fixtures delete/*, job/delete-*, errors/delete-*): graceful pod deletion, preconditions,
// propagation policies (Jobs default to orphan), and what the response body is (Pod, the object, or a Status).
import type { K8sObject, ObjectStore, Resource } from './object-store.js';
import { infoOf, type ResourceInfo } from './api-resources.js';
import { ApiError, badRequest, notFound, successStatus } from './api-status.js';

type O = Record<string, unknown>;
export interface DeleteOptions { gracePeriodSeconds?: number; propagationPolicy?: string; preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: boolean }

const nowIso = (offsetS = 0) => new Date(Date.now() + offsetS * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function parseDeleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const b = (typeof body === 'object' && body !== null ? body : {}) as O;
  const opts: DeleteOptions = {};
  const g = q.get('gracePeriodSeconds');
  if (g !== null) {
    if (!/^-?\d+$/.test(g)) throw badRequest(`strconv.ParseInt: parsing "${g}": invalid syntax`);
    opts.gracePeriodSeconds = Number(g);
  } else if (typeof b.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = b.gracePeriodSeconds;
  const pp = q.get('propagationPolicy') ?? (typeof b.propagationPolicy === 'string' ? b.propagationPolicy : undefined);
  if (pp !== undefined) {
    if (!['Orphan', 'Background', 'Foreground'].includes(pp)) throw badRequest(`propagationPolicy: Unsupported value: "${pp}": supported values: "Foreground", "Background", "Orphan"`);
    opts.propagationPolicy = pp;
  } else if (b.orphanDependents === true) opts.propagationPolicy = 'Orphan';
  if (typeof b.preconditions === 'object' && b.preconditions) opts.preconditions = b.preconditions as DeleteOptions['preconditions'];
  if (q.get('dryRun') === 'All' || (Array.isArray(b.dryRun) && b.dryRun.includes('All'))) opts.dryRun = true;
  return opts;
}

function checkPreconditions(i: ResourceInfo, cur: K8sObject, p: DeleteOptions['preconditions']): void {
  const name = cur.metadata.name;
  const fail = (what: string) => new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${i.kind} "${name}": ${what}`, { name, ...(i.group ? { group: i.group } : {}), kind: i.kind });
  if (p?.uid && p.uid !== cur.metadata.uid) {
    throw fail(`the UID in the precondition (${p.uid}) does not match the UID in record (${cur.metadata.uid}). The object might have been deleted and then recreated`);
  }
  if (p?.resourceVersion && p.resourceVersion !== cur.metadata.resourceVersion) {
    throw fail(`the ResourceVersion in the precondition (${p.resourceVersion}) does not match the ResourceVersion in record (${cur.metadata.resourceVersion}). The object might have been modified`);
  }
}

/** Removes at once: MODIFIED (deletionTimestamp now, grace 0) then DELETED, as the apiserver does for pods. */
function removePodNow(store: ObjectStore, ns: string, name: string): K8sObject {
  const marked = store.mutate('pods', ns, name, (o) => { o.metadata.deletionTimestamp = nowIso(); o.metadata.deletionGracePeriodSeconds = 0; })!;
  if ((marked.metadata.finalizers ?? []).length) return marked;
  return store.delete('pods', ns, name) ?? marked;
}

function deletePod(store: ObjectStore, cur: K8sObject, o: DeleteOptions): K8sObject {
  const ns = cur.metadata.namespace!, name = cur.metadata.name;
  const spec = (cur.spec ?? {}) as O, phase = ((cur.status ?? {}) as O).phase;
  let grace = o.gracePeriodSeconds ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') grace = 0;
  if (cur.metadata.deletionTimestamp) {
    // A second DELETE may only shorten the grace period.
    const had = cur.metadata.deletionGracePeriodSeconds ?? 0;
    if (o.gracePeriodSeconds === undefined || grace >= had) return structuredClone(cur);
  }
  if (grace <= 0) return removePodNow(store, ns, name);
  return store.mutate('pods', ns, name, (p) => { p.metadata.deletionTimestamp = nowIso(grace); p.metadata.deletionGracePeriodSeconds = grace; })!;
}

// Owners whose dependents the sandbox's garbage collector removes on Background deletion (Jobs: H2's job controller).
const GC_DEPENDENTS: Partial<Record<Resource, Resource[]>> = {
  daemonsets: ['pods', 'controllerrevisions'], replicasets: ['pods'], deployments: ['replicasets'],
};

function collectGarbage(store: ObjectStore, r: Resource, owner: K8sObject): void {
  for (const dr of GC_DEPENDENTS[r] ?? []) {
    for (const d of store.listShared(dr, owner.metadata.namespace)) {
      if (!(d.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.metadata.uid)) continue;
      if (dr === 'pods') deletePod(store, d, {});
      else { store.delete(dr, d.metadata.namespace, d.metadata.name); collectGarbage(store, dr, d); }
    }
  }
}

/** Returns the HTTP status and body of a DELETE. */
export function deleteObject(store: ObjectStore, r: Resource, ns: string | undefined, name: string, o: DeleteOptions): { code: number; body: unknown } {
  const info = infoOf(r);
  const cur = store.peek(r, ns, name);
  if (!cur) throw notFound(info, name);
  checkPreconditions(info, cur, o.preconditions);
  if (o.dryRun) return { code: 200, body: r === 'pods' ? cur : successStatus(info, name, cur.metadata.uid) };
  if (r === 'pods') return { code: 200, body: deletePod(store, cur, o) };
  const policy = o.propagationPolicy ?? (r === 'jobs' ? 'Orphan' : 'Background');
  const extra = policy === 'Orphan' && r !== 'configmaps' ? 'orphan' : policy === 'Foreground' ? 'foregroundDeletion' : undefined;
  const finalizers = [...(cur.metadata.finalizers ?? []), ...(extra && !(cur.metadata.finalizers ?? []).includes(extra) ? [extra] : [])];
  if (finalizers.length) {
    if (cur.metadata.deletionTimestamp) return { code: 200, body: structuredClone(cur) };
    const marked = store.mutate(r, ns, name, (x) => {
      x.metadata.finalizers = finalizers;
      x.metadata.deletionTimestamp = nowIso();
      x.metadata.deletionGracePeriodSeconds = 0;
    })!;
    // Orphaning dependents: drop their owner reference, then the finalizer (what the garbage collector does), unless
    // the resource's own controller does it (Jobs: H2's job controller).
    if (extra === 'orphan' && r !== 'jobs') {
      for (const dr of GC_DEPENDENTS[r] ?? []) for (const d of store.listShared(dr, ns)) {
        if ((d.metadata.ownerReferences ?? []).some((ref) => ref.uid === cur.metadata.uid)) {
          store.mutate(dr, d.metadata.namespace, d.metadata.name, (x) => { x.metadata.ownerReferences = (x.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== cur.metadata.uid); });
        }
      }
      const left = finalizers.filter((f) => f !== 'orphan');
      if (!left.length) { store.delete(r, ns, name); return { code: 200, body: marked }; }
      return { code: 200, body: store.mutate(r, ns, name, (x) => { x.metadata.finalizers = left; })! };
    }
    if (extra === 'foregroundDeletion' && r !== 'jobs') {
      // Foreground: dependents go first (pods gracefully), then the owner once only foreign finalizers are left.
      collectGarbage(store, r, cur);
      const left = finalizers.filter((f) => f !== 'foregroundDeletion');
      if (!left.length) store.delete(r, ns, name);
      else store.mutate(r, ns, name, (x) => { x.metadata.finalizers = left; });
    }
    return { code: 200, body: marked };
  }
  store.delete(r, ns, name);
  if (r !== 'jobs') collectGarbage(store, r, cur);
  return { code: 200, body: successStatus(info, name, cur.metadata.uid) };
}
