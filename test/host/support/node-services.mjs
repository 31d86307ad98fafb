// Stand-ins for what a node Job talks to, started INSIDE the test's network namespace: DNS servers on chosen
// addresses that answer, refuse, never answer or say NXDOMAIN (RFC 1035 wire format, answered by the real dig),
// and plain HTTP/TCP listeners (kube-proxy's /proxyMode on its metrics address, a Service's TCP port).
// Usage: node node-services.mjs '<json config>' ; writes config.ready when every socket listens.
import dgram from 'node:dgram';
import http from 'node:http';
import { writeFileSync } from 'node:fs';

const cfg = JSON.parse(process.argv[2]);
const RCODE = { answer: 0, nxdomain: 3, refused: 5 };

function ipBytes(addr) {
  if (!addr.includes(':')) return Buffer.from(addr.split('.').map(Number));
  const [head, tail = ''] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = addr.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

function reply(q, mode, records) {
  let off = 12;
  while (q[off] !== 0) off += q[off] + 1; // QNAME labels
  const qtype = q.readUInt16BE(off + 1);
  const question = q.subarray(12, off + 5);
  const rcode = RCODE[mode];
  const rdata = rcode === 0 ? (qtype === 1 ? records.a : qtype === 28 ? records.aaaa : undefined) : undefined;
  const head = Buffer.alloc(12);
  q.copy(head, 0, 0, 2); // id
  head.writeUInt16BE(0x8000 | (q.readUInt16BE(2) & 0x7900) | 0x0400 | 0x0080 | rcode, 2); // QR, opcode+RD, AA, RA
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(rdata ? 1 : 0, 6);
  const parts = [head, question];
  if (rdata) {
    const bytes = ipBytes(rdata);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); rr.writeUInt16BE(qtype, 2); rr.writeUInt16BE(1, 4); rr.writeUInt32BE(30, 6); rr.writeUInt16BE(bytes.length, 10);
    parts.push(rr, bytes);
  }
  return Buffer.concat(parts);
}

const ready = [];
for (const d of cfg.dns ?? []) {
  const sock = dgram.createSocket(d.addr.includes(':') ? 'udp6' : 'udp4');
  sock.on('message', (msg, rinfo) => {
    if (d.mode === 'silent') return; // the "timed out" case: a server that never answers
    sock.send(reply(msg, d.mode, d.records ?? {}), rinfo.port, rinfo.address);
  });
  ready.push(new Promise((r) => sock.bind(d.port ?? 53, d.addr, r)));
}
for (const h of cfg.http ?? []) {
  const srv = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(h.body ?? ''); });
  ready.push(new Promise((r) => srv.listen(h.port, h.host, r)));
}
// kube-proxy's two HTTP servers in its own formats: /healthz as pkg/proxy/healthcheck/proxier_health.go writes it
// (Go time.Time String() values; 200 while the first update is younger than healthTimeout, then 503) and /metrics
// as Prometheus text with pkg/proxy/metrics/metrics.go's sync gauge (0 until the first sync) and client_golang's
// process_start_time_seconds (Go 'g' floats: 1.7651e+09). It syncs at its syncAfterReads-th /metrics read (0: synced
// already; null: never), so the test does not depend on how fast a loaded host starts the script.
const goTime = (ms) => (ms === null ? '0001-01-01 00:00:00 +0000 UTC' : `${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')} +0000 UTC`);
const goFloat = (v) => { if (v === 0) return '0'; const [m, e] = v.toExponential().split('e'); const x = Number(e); return x >= 6 || x < -4 ? `${m}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}` : String(v); };
for (const k of cfg.kubeProxy ?? []) {
  const started = Date.now() - 500;
  let reads = 0;
  let syncedAt = k.syncAfterReads === 0 ? started + 100 : null;
  const syncAt = () => syncedAt;
  const synced = () => syncedAt !== null;
  const healthz = http.createServer((req, res) => {
    const now = Date.now();
    const healthy = synced() || now - started < (k.healthTimeoutMs ?? 60_000);
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' });
    res.end(`{"lastUpdated": "${goTime(healthy ? now : (synced() ? syncAt() : null))}","currentTime": "${goTime(now)}", "nodeEligible": true}`);
  });
  const metrics = http.createServer((req, res) => {
    // kube-proxy's metrics server also serves /proxyMode (cmd/kube-proxy/app/server.go: fmt.Fprintf(w, "%s", mode)).
    if (req.url === '/proxyMode' && k.proxyMode) { res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }); res.end(k.proxyMode); return; }
    if (req.url !== '/metrics') { res.writeHead(404); res.end(); return; }
    reads++;
    if (syncedAt === null && k.syncAfterReads !== null && reads >= k.syncAfterReads) syncedAt = Date.now();
    const last = synced() ? goFloat(syncAt() / 1000) : '0';
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end([
      '# HELP kubeproxy_sync_proxy_rules_duration_seconds [ALPHA] SyncProxyRules latency in seconds',
      '# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram',
      `kubeproxy_sync_proxy_rules_duration_seconds_sum ${synced() ? '0.25' : '0'}`,
      `kubeproxy_sync_proxy_rules_duration_seconds_count ${synced() ? 1 : 0}`,
      '# HELP kubeproxy_sync_proxy_rules_last_timestamp_seconds [ALPHA] The last time proxy rules were successfully synced',
      '# TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge',
      `kubeproxy_sync_proxy_rules_last_timestamp_seconds ${last}`,
      '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
      '# TYPE process_start_time_seconds gauge',
      `process_start_time_seconds ${goFloat(Math.floor(started / 10) / 100)}`,
      // iptables mode's counters and rule gauge (pkg/proxy/metrics/metrics.go; the counters from v1.31), when given.
      ...(k.counters ? [
        '# HELP kubeproxy_iptables_localhost_nodeports_accepted_packets_total [ALPHA] Number of packets accepted on nodeports of loopback interface',
        '# TYPE kubeproxy_iptables_localhost_nodeports_accepted_packets_total counter',
        `kubeproxy_iptables_localhost_nodeports_accepted_packets_total ${goFloat(k.counters.localhostNodePorts)}`,
        '# HELP kubeproxy_iptables_ct_state_invalid_dropped_packets_total [ALPHA] packets dropped by iptables to work around conntrack problems',
        '# TYPE kubeproxy_iptables_ct_state_invalid_dropped_packets_total counter',
        `kubeproxy_iptables_ct_state_invalid_dropped_packets_total ${goFloat(k.counters.ctInvalid)}`,
        '# HELP kubeproxy_sync_proxy_rules_iptables_total [ALPHA] Total number of iptables rules owned by kube-proxy',
        '# TYPE kubeproxy_sync_proxy_rules_iptables_total gauge',
        `kubeproxy_sync_proxy_rules_iptables_total{table="filter"} ${k.counters.filter}`,
        `kubeproxy_sync_proxy_rules_iptables_total{table="nat"} ${k.counters.nat}`,
      ] : []),
      '',
    ].join('\n'));
  });
  ready.push(new Promise((r) => healthz.listen(k.healthz.port, k.healthz.host, r)));
  ready.push(new Promise((r) => metrics.listen(k.metrics.port, k.metrics.host, r)));
}
await Promise.all(ready);
writeFileSync(cfg.ready, 'ready\n');
