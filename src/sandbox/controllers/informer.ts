// A read-only cache of one resource kept current from the store's event stream (like client-go's informers), so
// controllers do not deep-copy thousands of objects on every sync. Cached objects must never be mutated.
import type { K8sObject, ObjectStore, Resource, WatchEvent } from '../object-store.js';

export class Informer {
  private readonly byKey = new Map<string, K8sObject>();
  /** Secondary index: controller owner uid → keys */
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly byUid = new Map<string, string>();
  private readonly handlers: ((e: WatchEvent) => void)[] = [];
  private readonly unsubscribe: () => void;

  constructor(store: ObjectStore, readonly resource: Resource) {
    for (const o of store.listShared(resource)) this.put(o);
    this.unsubscribe = store.subscribe((e) => {
      if (e.resource !== resource) return;
      if (e.type === 'DELETED') this.remove(e.object); else this.put(e.object);
      for (const h of this.handlers) {
        // The store swallows subscriber errors; a controller bug must still be visible to whoever runs the sandbox.
        try { h(e); } catch (err) { console.error(`sandbox controller failed on ${e.type} ${resource}/${e.object.metadata.name}:`, err); }
      }
    });
  }

  onEvent(h: (e: WatchEvent) => void): void { this.handlers.push(h); }

  stop(): void { this.unsubscribe(); }

  get(ns: string | undefined, name: string): K8sObject | undefined { return this.byKey.get(`${ns ?? ''}/${name}`); }

  getByUid(uid: string): K8sObject | undefined {
    const k = this.byUid.get(uid);
    return k === undefined ? undefined : this.byKey.get(k);
  }

  list(): IterableIterator<K8sObject> { return this.byKey.values(); }

  get size(): number { return this.byKey.size; }

  ownedBy(uid: string): K8sObject[] {
    const keys = this.byOwner.get(uid);
    if (!keys) return [];
    const out: K8sObject[] = [];
    for (const k of keys) { const o = this.byKey.get(k); if (o) out.push(o); }
    return out;
  }

  private key(o: K8sObject): string { return `${o.metadata.namespace ?? ''}/${o.metadata.name}`; }

  private owner(o: K8sObject): string | undefined {
    const refs = (o.metadata.ownerReferences ?? []) as { uid?: string; controller?: boolean }[];
    return refs.find((r) => r.controller)?.uid;
  }

  private put(o: K8sObject): void {
    const k = this.key(o);
    const prev = this.byKey.get(k);
    if (prev) this.unindex(prev, k);
    this.byKey.set(k, o);
    if (o.metadata.uid) this.byUid.set(o.metadata.uid as string, k);
    const u = this.owner(o);
    if (u) { let s = this.byOwner.get(u); if (!s) { s = new Set(); this.byOwner.set(u, s); } s.add(k); }
  }

  private remove(o: K8sObject): void {
    const k = this.key(o);
    const prev = this.byKey.get(k);
    if (prev && prev.metadata.uid !== o.metadata.uid) return;
    if (prev) this.unindex(prev, k);
    this.byKey.delete(k);
    if (prev?.metadata.uid) this.byUid.delete(prev.metadata.uid as string);
  }

  private unindex(o: K8sObject, k: string): void {
    const u = this.owner(o);
    if (u) this.byOwner.get(u)?.delete(k);
  }
}
