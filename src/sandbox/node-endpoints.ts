// The sandbox nodes' kube-proxy HTTP servers over real HTTP, for what scrapes them from outside (a real Prometheus in
// the gate tests, curl by hand): GET /nodes/<node>/metrics, /healthz and /proxyMode answer what that node's simulated
// kube-proxy serves on its own bind addresses (kube-proxy-endpoints.ts, upstream's formats), as reached from the node
// itself (a wildcard bind on loopback), so a kubeadm-default 127.0.0.1:10249 is served too. A real Prometheus reaches
// <node IP>:10249 only with metricsBindAddress 0.0.0.0:10249; here one listener stands in for every node's.
// A node without a running kube-proxy answers 503 (what a refused connection is to a scraper: `up` 0).
import { createServer, type Server } from 'node:http';
import type { SimCluster } from './cluster-sim.js';
import { healthzAnswer, metricsAnswer } from './kube-proxy-endpoints.js';
import { splitHostPort } from './node-agent/host-state.js';

/** A bind address as the node itself reaches it (0.0.0.0 → 127.0.0.1, [::] → [::1]). */
function fromNode(bind: string): string {
  const hp = splitHostPort(bind);
  if (!hp) return bind;
  const host = hp.host === '' || hp.host === '0.0.0.0' ? '127.0.0.1' : hp.host === '::' ? '::1' : hp.host;
  return host.includes(':') ? `[${host}]:${hp.port}` : `${host}:${hp.port}`;
}

export interface NodeEndpoints { url: string; close(): Promise<void> }

export async function startNodeEndpoints(cluster: SimCluster, host = '127.0.0.1'): Promise<NodeEndpoints> {
  const server: Server = createServer((req, res) => {
    const m = /^\/nodes\/([^/]+)\/(metrics|healthz|proxyMode)$/.exec((req.url ?? '').split('?')[0]!);
    const node = m ? decodeURIComponent(m[1]!) : '';
    if (!m || req.method !== 'GET' || !cluster.nodes.some((n) => n.name === node)) { res.writeHead(404); res.end('404 page not found\n'); return; }
    let h;
    try { h = cluster.host(node); } catch { res.writeHead(404); res.end('no Linux host\n'); return; }
    const now = Date.now();
    const answer = m[2] === 'metrics' ? metricsAnswer(h, fromNode(h.metricsBind), now)
      : m[2] === 'healthz' ? healthzAnswer(h, fromNode(h.healthzBind), now, h.timeScale)
        : h.proxyMode && h.metricsReachable(fromNode(h.metricsBind)) ? { status: 200, body: h.proxyMode } : null;
    if (!answer) { res.writeHead(503, { 'content-type': 'text/plain' }); res.end('kube-proxy is not listening\n'); return; }
    const type = m[2] === 'metrics' ? 'text/plain; version=0.0.4; charset=utf-8' : m[2] === 'healthz' ? 'application/json' : 'text/plain; charset=utf-8';
    res.writeHead(answer.status, { 'content-type': type });
    res.end(answer.body);
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, host, () => resolve()); });
  const a = server.address() as { port: number };
  return { url: `http://${host}:${a.port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}
