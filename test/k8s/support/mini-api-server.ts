// A small, strict Kubernetes API stand-in for the adapter tests (real HTTP, real client-node): resourceVersions,
// merge patches with resourceVersion preconditions (409), label/field selectors, list+watch with resume and 410,
// bearer-token authorization (403), injectable 500s. Anything it does not know is answered 404 AND recorded in
// `unexpected`, which every test checks. Objects change only through the API or the test's `put` / `remove`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Ev { rv: number; key: string; type: 'ADDED' | 'MODIFIED' | 'DELETED'; obj: Obj }
type Sel = [string, string | string[]][];
interface Watcher { kind: string; ns?: string; sel: Sel; field: [string, string][]; res: ServerResponse }

export interface MiniApi {
  url: string;
  kubeconfig(token?: string): string;
  put(kind: string, obj: Obj): Obj;
  remove(kind: string, ns: string, name: string): void;
  get(kind: string, ns: string | undefined, name: string): Obj | undefined;
  faults: { failNext: number; failCode: number; expireWatchFrom?: number };
  requests: string[];
  /** Each request line as sent (method, path and query). */
  requestLines: string[];
  unexpected: string[];
  rv(): number;
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

export async function startMiniApi(): Promise<MiniApi> {
  let rv = 100;
  const objs = new Map<string, Obj>();
  const events: Ev[] = [];
  const watchers = new Set<Watcher>();
  const requests: string[] = [];
  /** Each request line as sent (path and query), to check what a proxy in front of the API server would see. */
  const requestLines: string[] = [];
  const unexpected: string[] = [];
  const faults: MiniApi['faults'] = { failNext: 0, failCode: 500 };
  const key = (kind: string, ns: string | undefined, name: string) => `${kind}/${ns ?? ''}/${name}`;
  const clone = (o: Obj): Obj => JSON.parse(JSON.stringify(o)) as Obj;

  function commit(kind: string, type: Ev['type'], obj: Obj): Obj {
    rv++;
    obj.metadata.resourceVersion = String(rv);
    const k = key(kind, obj.metadata.namespace, obj.metadata.name);
    if (type === 'DELETED') objs.delete(k); else objs.set(k, obj);
    events.push({ rv, key: k, type, obj: clone(obj) });
    for (const w of watchers) if (matches(w, kind, obj)) w.res.write(`${JSON.stringify({ type, object: obj })}\n`);
    return clone(obj);
  }
  function put(kind: string, o: Obj): Obj {
    const obj = clone(o);
    const k = key(kind, obj.metadata.namespace, obj.metadata.name);
    const existing = objs.get(k);
    obj.metadata.uid ??= existing?.metadata.uid ?? `uid-${kind}-${obj.metadata.name}-${rv + 1}`;
    obj.metadata.creationTimestamp ??= existing?.metadata.creationTimestamp ?? new Date(Date.UTC(2026, 10, 25, 0, 0, rv % 60)).toISOString();
    return commit(kind, existing ? 'MODIFIED' : 'ADDED', obj);
  }
  function matches(w: { kind: string; ns?: string; sel: Sel; field: [string, string][] }, kind: string, o: Obj): boolean {
    if (w.kind !== kind || (w.ns && o.metadata.namespace !== w.ns)) return false;
    for (const [k, v] of w.sel) if (Array.isArray(v) ? !v.includes(o.metadata.labels?.[k]) : v === '*' ? !(k in (o.metadata.labels ?? {})) : o.metadata.labels?.[k] !== v) return false;
    for (const [k, v] of w.field) if (k === 'spec.nodeName' ? o.spec?.nodeName !== v : k === 'metadata.name' ? o.metadata.name !== v : true) return false;
    return true;
  }
  // `k=v`, `k` and `k in (a,b)`; commas inside the parentheses do not split the selector.
  const parseSel = (s: string | null): [string, string][] => (s ? s.split(/,(?![^(]*\))/).map((p) => {
    const [k, v] = p.split('='); return [k!, v ?? '*'] as [string, string];
  }) : []);
  const parseLabelSel = (s: string | null): Sel => (s ? s.split(/,(?![^(]*\))/).map((p) => {
    const m = /^([^=!]+?)\s*in\s*\((.*)\)$/.exec(p);
    if (m) return [m[1]!.trim(), m[2]!.split(',').map((x) => x.trim())] as [string, string[]];
    const [k, v] = p.split('='); return [k!, v ?? '*'] as [string, string];
  }) : []);

  const routes: [string, RegExp, string][] = [
    ['GET', /^\/version$/, 'version'],
    ['GET', /^\/api\/v1\/nodes$/, 'list:nodes'],
    ['GET', /^\/api\/v1\/namespaces\/([^/]+)$/, 'get:namespaces:cluster'],
    ['POST', /^\/api\/v1\/namespaces$/, 'create:namespaces:cluster'],
    ['GET', /^\/api\/v1\/namespaces\/([^/]+)\/configmaps\/([^/]+)$/, 'get:configmaps'],
    ['PATCH', /^\/api\/v1\/namespaces\/([^/]+)\/configmaps\/([^/]+)$/, 'patch:configmaps'],
    ['POST', /^\/api\/v1\/namespaces\/([^/]+)\/configmaps$/, 'create:configmaps'],
    ['GET', /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/daemonsets\/([^/]+)$/, 'get:daemonsets'],
    ['PATCH', /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/daemonsets\/([^/]+)$/, 'patch:daemonsets'],
    ['GET', /^\/api\/v1\/namespaces\/([^/]+)\/pods$/, 'list:pods'],
    ['DELETE', /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/, 'delete:pods'],
    ['GET', /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/, 'log'],
    ['GET', /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs$/, 'list:jobs'],
    ['POST', /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs$/, 'create:jobs'],
    ['DELETE', /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)$/, 'delete:jobs'],
    ['POST', /^\/apis\/authorization\.k8s\.io\/v1\/selfsubjectaccessreviews$/, 'ssar'],
  ];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => handle(req, res, body));
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    const send = (code: number, o: unknown) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(o)); };
    const route = routes.find(([m, re]) => m === req.method && re.test(url.pathname));
    requestLines.push(`${req.method} ${req.url ?? ''}`);
    requests.push(`${req.method} ${url.pathname}${q.get('watch') ? ` (watch from ${q.get('resourceVersion') ?? '-'})` : ''}`);
    if (!route) { unexpected.push(`${req.method} ${req.url}`); return send(404, status(404, 'NotFound', 'the server could not find the requested resource')); }
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (token !== 'admin-token' && token !== 'reader-token') return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    const [, re, op] = route;
    const m = re.exec(url.pathname)!;
    const [verb, kind] = op.split(':') as [string, string | undefined];
    if (token === 'reader-token' && !['GET'].includes(req.method!) && op !== 'ssar') {
      return send(403, status(403, 'Forbidden', `${kind} "${m[2] ?? ''}" is forbidden: User "system:serviceaccount:ipvs-bot:reader" cannot ${verb} resource "${kind}"`));
    }
    if (faults.failNext > 0 && !q.get('watch')) { faults.failNext--; return send(faults.failCode, status(faults.failCode, 'InternalError', 'injected failure')); }
    const ns = kind && op.endsWith(':cluster') ? undefined : m[1];
    const name = op.endsWith(':cluster') ? m[1] : m[2];

    if (op === 'version') return send(200, { major: '1', minor: '28', gitVersion: 'v1.28.7' });
    if (op === 'ssar') {
      const a = JSON.parse(body).spec.resourceAttributes as Obj;
      const allowed = token === 'admin-token' || ['get', 'list', 'watch'].includes(a.verb);
      return send(201, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: a }, status: { allowed } });
    }
    if (op === 'log') {
      const pod = objs.get(key('pods', m[1], m[2]!));
      if (!pod) return send(404, status(404, 'NotFound', `pods "${m[2]}" not found`));
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(String(pod.metadata.annotations?.['test/log'] ?? ''));
    }
    if (verb === 'list') {
      const w = { kind: kind!, ...(m[1] ? { ns: m[1] } : {}), sel: parseLabelSel(q.get('labelSelector')), field: parseSel(q.get('fieldSelector')) };
      if (q.get('watch')) {
        const from = Number(q.get('resourceVersion') ?? rv);
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders(); // like the API server: headers first, events as they happen
        if (faults.expireWatchFrom !== undefined && from < faults.expireWatchFrom) {
          return void res.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${rv})`) })}\n`);
        }
        for (const e of events) if (e.rv > from && matches(w, kind!, e.obj)) res.write(`${JSON.stringify({ type: e.type, object: e.obj })}\n`);
        const watcher = { ...w, res };
        watchers.add(watcher);
        const t = setTimeout(() => res.end(), Number(q.get('timeoutSeconds') ?? 30) * 1000);
        res.on('close', () => { clearTimeout(t); watchers.delete(watcher); });
        return;
      }
      const items = [...objs.entries()].filter(([k]) => k.startsWith(`${kind}/`)).map(([, o]) => o).filter((o) => matches(w, kind!, o));
      return send(200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items });
    }
    if (verb === 'get') {
      const o = objs.get(key(kind!, ns, name!));
      return o ? send(200, o) : send(404, status(404, 'NotFound', `${kind} "${name}" not found`));
    }
    if (verb === 'create') {
      const o = JSON.parse(body) as Obj;
      if (ns) o.metadata.namespace = ns;
      if (ns && !objs.get(key('namespaces', undefined, ns))) return send(404, status(404, 'NotFound', `namespaces "${ns}" not found`));
      if (objs.get(key(kind!, ns, o.metadata.name))) return send(409, status(409, 'AlreadyExists', `${kind} "${o.metadata.name}" already exists`));
      return send(201, put(kind!, o));
    }
    if (verb === 'patch') {
      if (req.headers['content-type'] !== 'application/merge-patch+json') return send(415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`));
      const cur = objs.get(key(kind!, ns, name!));
      if (!cur) return send(404, status(404, 'NotFound', `${kind} "${name}" not found`));
      const patch = JSON.parse(body) as Obj;
      if (patch.metadata?.resourceVersion && patch.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        return send(409, status(409, 'Conflict', `Operation cannot be fulfilled on ${kind} "${name}": the object has been modified; please apply your changes to the latest version and try again`));
      }
      const next = mergePatch(clone(cur), patch) as Obj;
      next.metadata.resourceVersion = cur.metadata.resourceVersion;
      if (JSON.stringify(next) === JSON.stringify(cur)) return send(200, cur);
      if (kind === 'daemonsets' && JSON.stringify(next.spec) !== JSON.stringify(cur.spec)) next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
      return send(200, commit(kind!, 'MODIFIED', next));
    }
    if (verb === 'delete') {
      const cur = objs.get(key(kind!, ns, name!));
      if (!cur) return send(404, status(404, 'NotFound', `${kind} "${name}" not found`));
      const opts = body ? JSON.parse(body) as Obj : {};
      if (opts.preconditions?.uid && opts.preconditions.uid !== cur.metadata.uid) {
        return send(409, status(409, 'Conflict', `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${cur.metadata.uid}`));
      }
      if (kind === 'jobs' && q.get('propagationPolicy') !== 'Background') unexpected.push(`job delete without Background propagation: ${req.url}`);
      return send(200, commit(kind!, 'DELETED', clone(cur)));
    }
    unexpected.push(`${req.method} ${req.url}`);
    send(404, status(404, 'NotFound', 'not found'));
  }

  let connections = 0;
  server.on('connection', () => { connections++; });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  put('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
  return {
    url,
    kubeconfig: (token = 'admin-token') => `apiVersion: v1\nkind: Config\nclusters:\n- name: mini\n  cluster: {server: "${url}"}\nusers:\n- name: u\n  user: {token: ${token}}\ncontexts:\n- name: mini\n  context: {cluster: mini, user: u}\ncurrent-context: mini\n`,
    put,
    remove: (kind, ns, name) => { const o = objs.get(key(kind, ns, name)); if (o) commit(kind, 'DELETED', clone(o)); },
    get: (kind, ns, name) => { const o = objs.get(key(kind, ns, name)); return o ? clone(o) : undefined; },
    faults,
    requests,
    requestLines,
    unexpected,
    rv: () => rv,
    connections: () => connections,
    close: () => new Promise((r) => { for (const w of watchers) w.res.end(); server.closeAllConnections(); server.close(() => r()); }),
  };
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Obj = typeof target === 'object' && target !== null && !Array.isArray(target) ? target as Obj : {};
  for (const [k, v] of Object.entries(patch as Obj)) {
    if (v === null) delete out[k]; else out[k] = mergePatch(out[k], v);
  }
  return out;
}
