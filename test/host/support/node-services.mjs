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
await Promise.all(ready);
writeFileSync(cfg.ready, 'ready\n');
