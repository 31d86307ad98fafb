// The three PATCH content types with kube-apiserver 1.28's error behaviour (fixtures configmap/*, errors/patch-*,
// daemonset/patch-*). Strategic merge knows the merge keys of the fields this project touches.
import fjp from 'fast-json-patch';
import type { K8sObject } from './object-store.js';
import { ApiError, badRequest, genericInvalid, unsupportedMedia } from './api-status.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';
export function patchTypeOf(contentType: string | undefined): PatchType {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/json-patch+json') return 'json';
  if (ct === 'application/merge-patch+json') return 'merge';
  if (ct === 'application/strategic-merge-patch+json') return 'strategic';
  if (ct === 'application/apply-patch+yaml') return 'apply';
  throw unsupportedMedia();
}

/** Go's encoding/json wording for the common decode failure; other messages pass through lower-cased. */
function goDecodeMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  if (/end of (JSON )?input|Unterminated/i.test(m)) return 'unexpected end of JSON input';
  return `invalid character in JSON: ${m}`;
}

function parse(text: string, prefix: string): Json {
  try { return JSON.parse(text) as Json; } catch (e) { throw badRequest(`${prefix}${goDecodeMessage(e)}`); }
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

// patchMergeKey per field name (k8s.io/api struct tags); lists not named here are replaced whole.
const MERGE_KEYS: Record<string, string> = {
  containers: 'name', initContainers: 'name', ephemeralContainers: 'name', volumes: 'name', env: 'name',
  volumeMounts: 'mountPath', volumeDevices: 'devicePath', conditions: 'type', imagePullSecrets: 'name',
  ownerReferences: 'uid', hostAliases: 'ip', addresses: 'type', topologySpreadConstraints: 'topologyKey',
};
const SET_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, items: Json[]): string | undefined {
  if (field === 'ports') return items.some((i) => isObj(i) && 'containerPort' in i) ? 'containerPort' : 'port';
  return MERGE_KEYS[field];
}

function strategicList(field: string, cur: Json | undefined, patch: Json[]): Json {
  if (SET_LISTS.has(field) && Array.isArray(cur)) {
    const out = [...cur];
    for (const p of patch) if (!out.some((c) => c === p)) out.push(p);
    return out;
  }
  const key = mergeKeyFor(field, patch);
  if (!key || !Array.isArray(cur)) return patch.filter((p) => !(isObj(p) && p.$patch === 'delete')).map(stripDirectives);
  const out = [...cur];
  for (const p of patch) {
    if (!isObj(p) || !(key in p)) { out.push(p); continue; }
    const idx = out.findIndex((c) => isObj(c) && c[key] === p[key]);
    if (p.$patch === 'delete') { if (idx >= 0) out.splice(idx, 1); continue; }
    if (p.$patch === 'replace') { const r = stripDirectives(p); if (idx >= 0) out[idx] = r; else out.push(r); continue; }
    if (idx >= 0) out[idx] = strategicMerge(out[idx]!, p);
    else out.push(stripDirectives(p));
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}

export function strategicMerge(target: Json, patch: Json): Json {
  if (!isObj(patch)) return patch;
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return null;
  const out: Obj = isObj(target) ? { ...target } : {};
  const retain = Array.isArray(patch.$retainKeys) ? patch.$retainKeys.map(String) : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = strategicList(k, out[k], v);
    else if (isObj(v)) { const m = strategicMerge(out[k] ?? null, v); if (m === null) delete out[k]; else out[k] = m; }
    else out[k] = v;
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  return out;
}

function resolveParent(doc: Json, pointer: string): Json | undefined {
  const parts = pointer.split('/').slice(1, -1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: Json | undefined = doc;
  for (const p of parts) cur = Array.isArray(cur) ? cur[Number(p)] : isObj(cur) ? cur[p] : undefined;
  return cur;
}

function jsonPatch(doc: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
  // 1.28 (evanphoenix/json-patch) lets `replace` of a missing map key add it; fast-json-patch would refuse.
  const fixed = ops.map((op) => {
    if (isObj(op) && op.op === 'replace' && typeof op.path === 'string') {
      const parent = resolveParent(doc, op.path);
      const key = op.path.split('/').pop()!.replace(/~1/g, '/').replace(/~0/g, '~');
      if (isObj(parent) && !(key in parent)) return { ...op, op: 'add' };
    }
    return op;
  });
  try {
    return fjp.applyPatch(structuredClone(doc), fixed as unknown as fjp.Operation[], true, true).newDocument as Json;
  } catch {
    throw genericInvalid();
  }
}

/**
 * Applies a PATCH body to `current`. Returns the patched object and, for merge/strategic bodies that carry
 * metadata.resourceVersion, that precondition (the caller compares it: 409 when stale).
 */
export function applyPatch(type: PatchType, current: K8sObject, text: string): { obj: K8sObject; precondition?: string } {
  if (type === 'apply') {
    throw new ApiError(415, 'UnsupportedMediaType', 'server-side apply is not supported by the sandbox', {});
  }
  if (type === 'json') return { obj: jsonPatch(current as unknown as Json, parse(text, 'error decoding patch: ')) as unknown as K8sObject };
  const patch = parse(text, type === 'merge' ? 'error decoding patch: ' : '');
  if (!isObj(patch)) throw badRequest(type === 'merge' ? 'error decoding patch: json: cannot unmarshal into object' : 'json: cannot unmarshal into Go value of type map[string]interface {}');
  const meta = patch.metadata;
  const rv = isObj(meta) && typeof meta.resourceVersion === 'string' ? meta.resourceVersion : undefined;
  const merged = type === 'merge' ? mergePatch(current as unknown as Json, patch) : strategicMerge(current as unknown as Json, patch);
  return { obj: merged as unknown as K8sObject, ...(rv !== undefined ? { precondition: rv } : {}) };
}
