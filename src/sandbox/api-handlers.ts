// get / list / create / update / patch of stored resources with the apiserver's semantics and error bodies.
import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { StoreError, jsonEqual, type K8sObject, type ObjectStore } from './object-store.js';
import { apiVersionOf, type ResourceInfo } from './api-resources.js';
import { ApiError, alreadyExists, badRequest, conflict, notFound, sendJson } from './api-status.js';
import { applyCreateDefaults, applyDefaults, prepareForUpdate, validate } from './api-defaults.js';
import { applyPatch, patchTypeOf } from './api-patch.js';
import { SelectorError } from './api-selectors.js';
import { toTable, wantsTable } from './api-table.js';
import { objBuffer, objJson } from './api-watch.js';

export interface Target { info: ResourceInfo; namespace?: string; name?: string; sub?: string }

function storeError(info: ResourceInfo, name: string, e: unknown): never {
  if (e instanceof StoreError) {
    if (e.reason === 'NotFound') throw notFound(info, name);
    if (e.reason === 'AlreadyExists') throw alreadyExists(info, name);
    if (e.reason === 'Conflict') throw conflict(info, name);
    throw new ApiError(422, 'Invalid', e.message, {});
  }
  throw e;
}

export function selectorError(e: unknown): never {
  if (e instanceof SelectorError) throw badRequest(e.message);
  throw e;
}

export function parseBody(text: string): K8sObject {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw badRequest(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${(e as Error).message})`); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest('the body of the request must be a JSON object');
  const o = v as K8sObject;
  if (typeof o.metadata !== 'object' || o.metadata === null) o.metadata = { name: '' };
  return o;
}

function sendObject(res: ServerResponse, code: number, o: K8sObject, accept: string | undefined, info: ResourceInfo): void {
  if (wantsTable(accept)) { sendJson(res, code, toTable(info.resource, [o], { resourceVersion: o.metadata.resourceVersion }, undefined)); return; }
  sendJson(res, code, objJson(o));
}

export function getObject(store: ObjectStore, t: Target, res: ServerResponse, accept: string | undefined): void {
  const o = store.peek(t.info.resource, t.namespace, t.name!);
  if (!o) throw notFound(t.info, t.name!);
  sendObject(res, 200, o, accept, t.info);
}

/** encoding/json's complaint about the first byte of a non-JSON token, e.g. invalid character '\u009e' ... */
function goJsonError(b: Buffer): string {
  const c = b.find((x) => x !== 0x20 && x !== 0x0a && x !== 0x09 && x !== 0x0d);
  if (c === undefined) return 'unexpected end of JSON input';
  const ch = c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\u${c.toString(16).padStart(4, '0')}`;
  return `invalid character '${ch}' looking for beginning of value`;
}

interface ContinueToken { v: string; rv: number; start: string }
const keyOf = (o: K8sObject, allNs: boolean) => (allNs && o.metadata.namespace !== undefined ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);

// Serialised full lists (no selector, no paging) per store, reused until the resource changes: a 5,000-node list is
// ~10 MB of JSON that kubectl-style pollers ask for repeatedly.
const listCache = new WeakMap<ObjectStore, Map<string, { changed: string; body: Buffer }>>();
const version = (store: ObjectStore, r: Target['info']['resource']) => `${store.lastChange(r)}/${store.oldestResourceVersion(r)}`;

export function listObjects(store: ObjectStore, t: Target, q: URLSearchParams, res: ServerResponse, accept: string | undefined): void {
  const r = t.info.resource;
  const labelSelector = q.get('labelSelector') ?? undefined;
  const fieldSelector = q.get('fieldSelector') ?? undefined;
  const plain = !labelSelector && !fieldSelector && !q.get('limit') && !q.get('continue') && !wantsTable(accept);
  let cache = listCache.get(store);
  if (!cache) { cache = new Map(); listCache.set(store, cache); }
  const ckey = `${r}/${t.namespace ?? ''}`;
  if (plain) {
    const hit = cache.get(ckey);
    if (hit && hit.changed === version(store, r)) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': hit.body.length });
      res.end(hit.body);
      return;
    }
  }
  let items: K8sObject[];
  try { items = store.listShared(r, t.namespace, { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) }); }
  catch (e) { selectorError(e); }
  const allNs = t.info.namespaced && t.namespace === undefined;
  let rv = store.resourceVersion();
  const cont = q.get('continue');
  if (cont) {
    let tok: ContinueToken;
    try {
      tok = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as ContinueToken;
      if (tok.v !== 'meta.k8s.io/v1' || typeof tok.start !== 'string') throw new Error('bad version');
    } catch {
      throw badRequest(`invalid continue token: continue key is not valid: ${goJsonError(Buffer.from(cont, 'base64url'))}`);
    }
    rv = String(tok.rv);
    const start = tok.start;
    items = items.filter((o) => keyOf(o, allNs) >= start);
  }
  const limit = Number(q.get('limit') ?? 0);
  const meta: Record<string, unknown> = { resourceVersion: rv };
  if (limit > 0 && items.length > limit) {
    const last = items[limit - 1]!;
    const tok: ContinueToken = { v: 'meta.k8s.io/v1', rv: Number(rv), start: `${keyOf(last, allNs)}\u0000` };
    meta.continue = Buffer.from(JSON.stringify(tok)).toString('base64url');
    meta.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  if (wantsTable(accept)) { sendJson(res, 200, toTable(r, items, meta, q.get('includeObject') ?? undefined)); return; }
  const head = JSON.stringify({ kind: `${t.info.kind}List`, apiVersion: apiVersionOf(t.info), metadata: meta });
  const parts: Buffer[] = [Buffer.from(`${head.slice(0, -1)},"items":[`)];
  const comma = Buffer.from(',');
  items.forEach((o, i) => { if (i) parts.push(comma); parts.push(objBuffer(o)); });
  parts.push(Buffer.from(']}'));
  const body = Buffer.concat(parts);
  if (plain) cache.set(ckey, { changed: version(store, r), body });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

const dryRun = (q: URLSearchParams) => q.get('dryRun') === 'All';

function checkNamespace(store: ObjectStore, t: Target, o: K8sObject): void {
  if (!t.info.namespaced) { delete o.metadata.namespace; return; }
  if (o.metadata.namespace && o.metadata.namespace !== t.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  o.metadata.namespace = t.namespace!;
  if (!store.peek('namespaces', undefined, t.namespace!)) {
    throw new ApiError(404, 'NotFound', `namespaces "${t.namespace}" not found`, { name: t.namespace!, kind: 'namespaces' });
  }
}

export function createObject(store: ObjectStore, t: Target, q: URLSearchParams, body: string, res: ServerResponse, accept: string | undefined): void {
  const o = parseBody(body);
  checkNamespace(store, t, o);
  o.apiVersion = apiVersionOf(t.info);
  o.kind = t.info.kind;
  const name = o.metadata.name || o.metadata.generateName || '';
  if (!name) throw new ApiError(422, 'Invalid', `${t.info.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, { kind: t.info.kind });
  if (o.metadata.name && store.peek(t.info.resource, t.namespace, o.metadata.name)) throw alreadyExists(t.info, o.metadata.name);
  const uid = randomUUID();
  applyCreateDefaults(t.info.resource, o, uid);
  validate(t.info, o);
  if (dryRun(q)) {
    o.metadata.uid = uid;
    o.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    sendObject(res, 201, o, accept, t.info);
    return;
  }
  let created: K8sObject;
  try { created = store.create(t.info.resource, o, { uid }); } catch (e) { storeError(t.info, name, e); }
  sendObject(res, 201, created, accept, t.info);
}

/** Shared tail of PUT and PATCH: defaults, validation, optimistic concurrency, dry run. */
function write(store: ObjectStore, t: Target, cur: K8sObject, next: K8sObject, expectedRv: string | undefined, q: URLSearchParams, res: ServerResponse, accept: string | undefined): void {
  const name = t.name!;
  if (next.metadata?.name !== undefined && next.metadata.name !== name) {
    throw badRequest(`the name of the object (${String(next.metadata.name)}) does not match the name on the URL (${name})`);
  }
  if (t.info.namespaced && next.metadata.namespace !== undefined && next.metadata.namespace !== t.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  next.metadata = { ...next.metadata, name, ...(t.info.namespaced ? { namespace: t.namespace! } : {}) };
  next.apiVersion = apiVersionOf(t.info);
  next.kind = t.info.kind;
  if (expectedRv !== undefined && expectedRv !== cur.metadata.resourceVersion) throw conflict(t.info, name);
  applyDefaults(t.info.resource, next);
  if (t.sub !== 'status') prepareForUpdate(t.info.resource, next, cur);
  validate(t.info, next, cur);
  const status = t.sub === 'status';
  if (dryRun(q)) {
    const preview = status ? { ...structuredClone(cur), status: next.status } : next;
    sendObject(res, 200, jsonEqual(preview, cur) ? cur : preview, accept, t.info);
    return;
  }
  let out: K8sObject;
  try { out = store.update(t.info.resource, next, { ...(expectedRv !== undefined ? { expectedResourceVersion: expectedRv } : {}), status }); }
  catch (e) { storeError(t.info, name, e); }
  sendObject(res, 200, out, accept, t.info);
}

export function updateObject(store: ObjectStore, t: Target, q: URLSearchParams, body: string, res: ServerResponse, accept: string | undefined): void {
  const o = parseBody(body);
  if (o.metadata.name !== t.name) {
    throw badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${t.name})`);
  }
  const cur = store.peek(t.info.resource, t.namespace, t.name!);
  if (!cur) throw notFound(t.info, t.name!);
  const rv = o.metadata.resourceVersion || undefined;
  write(store, t, cur, o, rv, q, res, accept);
}

export function patchObject(store: ObjectStore, t: Target, q: URLSearchParams, body: string, contentType: string | undefined, res: ServerResponse, accept: string | undefined): void {
  const type = patchTypeOf(contentType);
  if (type === 'apply' && !q.get('fieldManager')) {
    throw new ApiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      { group: 'meta.k8s.io', kind: 'PatchOptions', causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }] });
  }
  const cur = store.peek(t.info.resource, t.namespace, t.name!);
  if (!cur) throw notFound(t.info, t.name!);
  // Patch a private copy: merge results share untouched subtrees with their input, and defaulting writes into them.
  const { obj, precondition } = applyPatch(type, structuredClone(cur), body);
  if (typeof obj !== 'object' || obj === null || typeof obj.metadata !== 'object' || obj.metadata === null) throw badRequest('the patch removed the object metadata');
  write(store, t, cur, obj, precondition, q, res, accept);
}
