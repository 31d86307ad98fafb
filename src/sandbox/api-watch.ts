// ?watch=1 streams (fixtures watch/*, daemonset/*-watch-*, job/*-watch-*): one JSON event per chunked line; initial
// ADDED events without a resourceVersion; resume from a resourceVersion; 410 Expired as an ERROR event; selector
// transitions reported as ADDED/DELETED; BOOKMARKs; timeoutSeconds ends the response cleanly.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { K8sObject, ObjectStore, Resource, WatchEvent } from './object-store.js';
import { matchesFields, matchesLabelSelector, parseFieldSelector, parseLabelSelector } from './api-selectors.js';
import { apiVersionOf, infoOf } from './api-resources.js';

export interface WatchParams {
  resource: Resource; namespace?: string; resourceVersion?: string; labelSelector?: string; fieldSelector?: string;
  timeoutSeconds?: number; allowWatchBookmarks?: boolean;
}

// One JSON text per stored object version, shared by every watcher (fan-out to many watches serialises once).
const jsonCache = new WeakMap<K8sObject, string>();
export function objJson(o: K8sObject): string {
  let s = jsonCache.get(o);
  if (s === undefined) { s = JSON.stringify(o); jsonCache.set(o, s); }
  return s;
}

// The same, UTF-8 encoded once: big lists are assembled with Buffer.concat instead of a 10 MB string join.
const bufCache = new WeakMap<K8sObject, Buffer>();
export function objBuffer(o: K8sObject): Buffer {
  let b = bufCache.get(o);
  if (b === undefined) { b = Buffer.from(objJson(o)); bufCache.set(o, b); }
  return b;
}

function bookmark(r: Resource, rv: string): unknown {
  const i = infoOf(r);
  const base = { kind: i.kind, apiVersion: apiVersionOf(i), metadata: { resourceVersion: rv, creationTimestamp: null } };
  return r === 'pods' ? { ...base, spec: { containers: null }, status: {} } : base;
}

/** Throws SelectorError (caller answers 400) before anything is written. */
export function startWatch(store: ObjectStore, req: IncomingMessage, res: ServerResponse, p: WatchParams): void {
  if (p.labelSelector) parseLabelSelector(p.labelSelector);
  const fields = p.fieldSelector ? parseFieldSelector(p.resource, p.fieldSelector) : undefined;
  const matches = (o: K8sObject) => (p.namespace === undefined || o.metadata.namespace === p.namespace)
    && (!p.labelSelector || matchesLabelSelector(o.metadata.labels, p.labelSelector))
    && (!fields || matchesFields(o, fields));

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  let closed = false;
  let lastRv = p.resourceVersion && p.resourceVersion !== '0' ? p.resourceVersion : store.resourceVersion();
  const startRv = Number(lastRv);
  const write = (type: string, objText: string) => { if (!closed) res.write(`{"type":"${type}","object":${objText}}\n`); };

  const send = (e: WatchEvent) => {
    if (e.resource !== p.resource) return;
    lastRv = e.object.metadata.resourceVersion ?? lastRv;
    const now = matches(e.object);
    if (e.type === 'MODIFIED') {
      const before = e.prev ? matches(e.prev) : now;
      if (now && before) write('MODIFIED', objJson(e.object));
      else if (now) write('ADDED', objJson(e.object));
      else if (before) {
        // Like the watch cache: the object as it last matched, at this event's resourceVersion.
        write('DELETED', JSON.stringify({ ...e.prev!, metadata: { ...e.prev!.metadata, resourceVersion: e.object.metadata.resourceVersion } }));
      }
    } else if (now) write(e.type, objJson(e.object));
  };

  const end = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearTimers();
    res.end();
  };

  let unsubscribe = () => {};
  const timers: NodeJS.Timeout[] = [];
  const clearTimers = () => { for (const t of timers) clearTimeout(t); };

  if (p.resourceVersion && p.resourceVersion !== '0') {
    const past = store.eventsSince(p.resourceVersion, p.resource);
    if (past === 'expired') {
      write('ERROR', JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
        message: `too old resource version: ${p.resourceVersion} (${store.oldestResourceVersion(p.resource)})`, reason: 'Expired', code: 410 }));
      closed = true;
      res.end();
      return;
    }
    for (const e of past) send(e);
  } else {
    for (const o of store.listShared(p.resource, p.namespace)) if (matches(o)) write('ADDED', objJson(o));
  }
  // Same tick as the replay above: no event can fall between history and live delivery.
  unsubscribe = store.subscribe(send);

  const onClose = () => end();
  req.on('close', onClose);
  res.on('close', onClose);

  const sendBookmark = () => {
    if (Number(lastRv) > startRv) write('BOOKMARK', JSON.stringify(bookmark(p.resource, lastRv)));
  };
  if (p.allowWatchBookmarks) {
    // Bookmarks only after some event of this resource newer than the start (the apiserver's behaviour, fixture note 19).
    const lastSeen = () => { const h = store.eventsSince(String(startRv), p.resource); return h === 'expired' || h.length === 0 ? undefined : h[h.length - 1]!.object.metadata.resourceVersion; };
    const bm = () => { const rv = lastSeen(); if (rv) { lastRv = String(Math.max(Number(lastRv), Number(rv))); sendBookmark(); } };
    const iv = setInterval(bm, 60_000);
    iv.unref();
    timers.push(iv);
    if (p.timeoutSeconds && p.timeoutSeconds > 2) { const t = setTimeout(bm, (p.timeoutSeconds - 2) * 1000); t.unref(); timers.push(t); }
  }
  if (p.timeoutSeconds && p.timeoutSeconds > 0) {
    const t = setTimeout(end, p.timeoutSeconds * 1000);
    t.unref();
    timers.push(t);
  }
}
