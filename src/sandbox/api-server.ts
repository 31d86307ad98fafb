// The sandbox's Kubernetes API server: node:http on 127.0.0.1, routing to discovery, CRUD, watch, logs and reviews,
// with bearer-token auth and request-level faults. Semantics follow ../shared/fixtures/k8s-v1.28.7.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ObjectStore } from './object-store.js';
import { infoFor, type ResourceInfo } from './api-resources.js';
import { ApiError, internalError, conflict, methodNotAllowed, sendJson, sendText, forbidden } from './api-status.js';
import { authenticate, authorize, selfSubjectAccessReview, selfSubjectReview, type Identity, type TokenRules } from './api-auth.js';
import { AGGREGATED_V2BETA1, aggregatedApis, aggregatedCore, apiGroup, apiGroupList, apiVersions, discoveryForm, isKnownGroup, resourceList } from './api-discovery.js';
import { createObject, getObject, listObjects, patchObject, selectorError, updateObject, parseBody, type Target } from './api-handlers.js';
import { deleteObject, parseDeleteOptions } from './api-delete.js';
import { startWatch } from './api-watch.js';
import { serveLog, type PodLogSource } from './api-logs.js';
import { FaultInjector, type Faults } from './faults.js';

export type { PodLogSource } from './api-logs.js';
export type { TokenRules, AccessRule, RestrictedToken } from './api-auth.js';

export interface ApiServerOptions {
  port?: number;
  host?: string;
  /** omit = no authentication (every request is admin) */
  tokens?: TokenRules;
  faults?: Faults;
  logs: PodLogSource;
  version: { major: string; minor: string; gitVersion: string };
  /** Called for every request before it is handled (tests: "no write reached this cluster"). */
  onRequest?: (r: { method: string; path: string }) => void;
  /** operator log for unexpected handler errors; default console.error */
  onError?: (err: unknown, req: { method: string; path: string }) => void;
}
export interface ApiServer { url: string; port: number; close(): Promise<void> }

const MAX_BODY = 3 * 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { reject(new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large', {})); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Parsed resource path: /api/v1/... or /apis/<group>/<version>/... */
interface Route { group: string; version: string; rest: string[] }
function parsePath(path: string): Route | 'discovery' | undefined {
  const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (seg[0] === 'api') return seg.length <= 2 ? 'discovery' : { group: '', version: seg[1]!, rest: seg.slice(2) };
  if (seg[0] === 'apis') return seg.length <= 3 ? 'discovery' : { group: seg[1]!, version: seg[2]!, rest: seg.slice(3) };
  return undefined;
}

function resolveTarget(r: Route): Target | undefined {
  const s = r.rest;
  let ns: string | undefined;
  let i = 0;
  // /namespaces/<ns>/<resource>... unless it is the namespaces resource itself (/namespaces/<name>[/status]).
  if (s[0] === 'namespaces' && s.length >= 3 && !(r.group === '' && s.length === 3 && (s[2] === 'status' || s[2] === 'finalize'))) { ns = s[1]; i = 2; }
  const info = infoFor(r.group, r.version, s[i] ?? '');
  if (!info) return undefined;
  if (ns !== undefined && !info.namespaced) return undefined;
  const name = s[i + 1];
  const sub = s[i + 2];
  if (s.length > i + 3) return undefined;
  if (sub !== undefined && !(info.subresources as string[]).includes(sub)) return undefined;
  return { info, ...(ns !== undefined ? { namespace: ns } : {}), ...(name !== undefined ? { name } : {}), ...(sub !== undefined ? { sub } : {}) };
}

const VERB: Record<string, string> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

export async function createApiServer(store: ObjectStore, opts: ApiServerOptions): Promise<ApiServer> {
  const faults = new FaultInjector(opts.faults ?? {});
  const onError = opts.onError ?? ((err, r) => { console.error(`sandbox api: ${r.method} ${r.path} failed:`, err); });
  let addr = '';

  const discovery = (res: ServerResponse, path: string, accept: string | undefined): void => {
    const form = discoveryForm(accept);
    const p = path.replace(/\/+$/, '');
    if (p === '/api' || p === '/apis') {
      if (form === 'none') throw new ApiError(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
      if (form === 'aggregated') { sendJson(res, 200, p === '/api' ? aggregatedCore() : aggregatedApis(), AGGREGATED_V2BETA1); return; }
      sendJson(res, 200, p === '/api' ? apiVersions(addr) : apiGroupList());
      return;
    }
    if (p === '/api/v1') { sendJson(res, 200, resourceList('')); return; }
    const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(p);
    if (m && isKnownGroup(m[1]!)) {
      if (m[2] === undefined) { sendJson(res, 200, apiGroup(m[1]!)); return; }
      if (m[2] === 'v1') { sendJson(res, 200, resourceList(m[1]!)); return; }
    }
    sendText(res, 404, '404 page not found\n');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname;
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const accept = req.headers.accept;
    opts.onRequest?.({ method, path });
    if (path === '/healthz' || path === '/readyz' || path === '/livez') { sendText(res, 200, 'ok'); return; }
    const id: Identity = authenticate(opts.tokens, req.headers.authorization);
    if (path === '/version' || path === '/version/') {
      sendJson(res, 200, { ...opts.version, gitCommit: 'sandbox', gitTreeState: 'clean', buildDate: '1970-01-01T00:00:00Z', goVersion: 'go1.21.13', compiler: 'gc', platform: 'linux/amd64' });
      return;
    }
    const route = parsePath(path);
    if (route === undefined || route === 'discovery') { if (method !== 'GET') throw methodNotAllowed(); discovery(res, path, accept); return; }
    if (!(route.group === '' ? route.version === 'v1' : (isKnownGroup(route.group) || route.group === 'authentication.k8s.io') && route.version === 'v1')) { sendText(res, 404, '404 page not found\n'); return; }
    if (route.group === 'authorization.k8s.io' && route.rest[0] === 'selfsubjectaccessreviews' && method === 'POST') {
      sendJson(res, 201, selfSubjectAccessReview(id, parseBody(await readBody(req)))); return;
    }
    if (route.group === 'authentication.k8s.io' && route.rest[0] === 'selfsubjectreviews' && method === 'POST') {
      await readBody(req); sendJson(res, 201, selfSubjectReview(id)); return;
    }
    const t = resolveTarget(route);
    if (!t) {
      // Authorization comes before resource lookup: a restricted user gets 403 even for resources not served here.
      const nsd = route.rest[0] === 'namespaces' && route.rest.length >= 3;
      const resource = route.rest[nsd ? 2 : 0] ?? '', name = route.rest[nsd ? 3 : 1];
      const v = method === 'GET' && !name ? 'list' : VERB[method] ?? 'get';
      const a = { verb: v, group: route.group, resource, ...(nsd ? { namespace: route.rest[1]! } : {}), ...(name ? { name } : {}) };
      if (!authorize(id, a).allowed) throw forbidden(id.user, v, { resource, group: route.group }, a.namespace, name);
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    }
    const watch = method === 'GET' && (q.get('watch') === '1' || q.get('watch') === 'true');
    const verb = watch ? 'watch' : method === 'GET' && !t.name ? 'list' : method === 'DELETE' && !t.name ? 'deletecollection' : VERB[method];
    if (!verb) throw methodNotAllowed();
    const attrs = { verb, group: t.info.group, resource: t.info.resource, ...(t.sub ? { subresource: t.sub } : {}),
      ...(t.namespace !== undefined ? { namespace: t.namespace } : {}), ...(t.name !== undefined ? { name: t.name } : {}) };
    if (!authorize(id, attrs).allowed) throw forbidden(id.user, verb, t.info, t.namespace, t.name, t.sub);

    const d = faults.decide({ method, resource: t.info.resource, ...(t.namespace !== undefined ? { namespace: t.namespace } : {}), ...(t.name !== undefined ? { name: t.name } : {}) });
    if (d.delayMs > 0) await sleep(d.delayMs);
    if (d.action === 'timeout') { await sleep(d.timeoutMs); req.socket.destroy(); return; }
    if (d.action === 'error') throw internalError();
    if (d.action === 'conflict') throw conflict(t.info, t.name ?? '');

    await dispatch(t, method, watch, q, req, res, accept);
  };

  const dispatch = async (t: Target, method: string, watch: boolean, q: URLSearchParams, req: IncomingMessage, res: ServerResponse, accept: string | undefined) => {
    const r = t.info.resource;
    if (method === 'GET') {
      if (watch) {
        const ts = q.get('timeoutSeconds');
        const fieldSelector = [q.get('fieldSelector'), t.name ? `metadata.name=${t.name}` : null].filter(Boolean).join(',');
        try {
          startWatch(store, req, res, { resource: r, ...(t.namespace !== undefined ? { namespace: t.namespace } : {}),
            ...(q.get('resourceVersion') ? { resourceVersion: q.get('resourceVersion')! } : {}),
            ...(q.get('labelSelector') ? { labelSelector: q.get('labelSelector')! } : {}), ...(fieldSelector ? { fieldSelector } : {}),
            ...(ts ? { timeoutSeconds: Number(ts) } : {}), allowWatchBookmarks: q.get('allowWatchBookmarks') === 'true' });
        } catch (e) { selectorError(e); }
        return;
      }
      if (t.sub === 'log') { serveLog(store, opts.logs, res, t.namespace!, t.name!, q); return; }
      if (t.name) getObject(store, t, res, accept); else listObjects(store, t, q, res, accept);
      return;
    }
    if (t.sub === 'log') throw methodNotAllowed();
    const body = await readBody(req);
    if (method === 'POST') { if (t.name) throw methodNotAllowed(); createObject(store, t, q, body, res, accept); return; }
    if (!t.name) throw methodNotAllowed();
    if (method === 'PUT') { updateObject(store, t, q, body, res, accept); return; }
    if (method === 'PATCH') { patchObject(store, t, q, body, req.headers['content-type'], res, accept); return; }
    if (method === 'DELETE') {
      let parsed: unknown = undefined;
      if (body.trim()) { try { parsed = JSON.parse(body); } catch { throw new ApiError(400, 'BadRequest', 'the body of the request was in an unknown format', {}); } }
      const out = deleteObject(store, r, t.namespace, t.name, parseDeleteOptions(q, parsed));
      sendJson(res, out.code, out.body);
      return;
    }
    throw methodNotAllowed();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) { res.destroy(); return; }
      if (e instanceof ApiError) { sendJson(res, e.code, e.body()); return; }
      onError(e, { method: req.method ?? '', path: (req.url ?? '').split('?')[0]! });
      const err = internalError('Internal error occurred: the sandbox failed to handle this request');
      sendJson(res, 500, err.body());
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const a = server.address() as AddressInfo;
  addr = `${a.address}:${a.port}`;
  return {
    url: `http://${addr}`,
    port: a.port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export type { ResourceInfo };
