// Real-host tier: verify.sh's DNS and ping checks with real `dig` and real `ping` inside a network namespace.
// The DNS server is a minimal responder on 127.0.0.53 (answer / REFUSED / NXDOMAIN / never answers); dig, the
// resolver path and the kernel are real. kube-ipvs0 is a bridge left DOWN: this kernel has no `dummy` link type,
// and the addresses of a DOWN bridge are local just like those of kube-proxy's dummy device.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostTierUnavailable, runInNetns } from './support.js';
import { countHostTest } from './count.js';

const why = hostTierUnavailable();
if (why && process.env.IPVS_BOT_HOST_TESTS === 'required') throw new Error(`the real-host tier must run here: ${why}`);
if (why) console.warn(`[host tier skipped] ${why}`);

const DNS_SERVER = `
import dgram from 'node:dgram';
const mode = process.argv[2];
const s = dgram.createSocket('udp4');
s.on('message', (q, peer) => {
  if (mode === 'drop') return;
  const rcode = mode === 'refused' ? 5 : mode === 'nxdomain' ? 3 : 0;
  const head = Buffer.alloc(12);
  q.copy(head, 0, 0, 2);
  head.writeUInt16BE(0x8180 | rcode, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(rcode === 0 ? 1 : 0, 6);
  let end = 12; while (q[end] !== 0) end += q[end] + 1; end += 5;
  const question = q.subarray(12, end);
  const answer = rcode === 0 ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 96, 0, 1]) : Buffer.alloc(0);
  s.send(Buffer.concat([head, question, answer]), peer.port, peer.address);
});
s.bind(53, '127.0.0.53', () => process.stdout.write('ready\\n'));
`;
const dir = mkdtempSync(join(tmpdir(), 'ipvs-bot-dns-'));
writeFileSync(join(dir, 'dns.mjs'), DNS_SERVER);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opts = (minor: number) => ({ runId: 'host-tier', nodeContext: { kubeProxyMinor: minor } });
const verify = (mode: 'ipvs' | 'iptables', targets: Record<string, string>, minor = 28) => ({
  phase: 'verify' as const, node: 'node-1', targetMode: mode,
  verify: { servicePorts: 0, dnsName: 'kubernetes.default.svc.cluster.local', ...targets },
});
const startDns = (mode: string) => `ip addr add 127.0.0.53/8 dev lo 2>/dev/null || true\n'${process.execPath}' '${join(dir, 'dns.mjs')}' ${mode} > ${dir}/dns-${mode}.log 2>&1 < /dev/null &\nfor i in $(seq 50); do grep -q ready ${dir}/dns-${mode}.log 2>/dev/null && break; sleep 0.05; done`;

describe.skipIf(why !== undefined)('test/host: verify.sh DNS with real dig', () => {
  it.each([
    { mode: 'answer', ok: true, status: 'NOERROR', error: undefined },
    { mode: 'refused', ok: false, status: 'REFUSED', error: /failed: REFUSED/ },
    { mode: 'nxdomain', ok: false, status: 'NXDOMAIN', error: /failed: NXDOMAIN/ },
    { mode: 'drop', ok: false, status: 'timeout', error: /no answer from 127\.0\.0\.53 \(timeout\)/ },
  ])('a DNS server that says $mode: ok=$ok', ({ mode, ok, status, error }) => {
    countHostTest();
    const r = runInNetns(opts(28), verify('ipvs', { dnsServer: '127.0.0.53', dnsType: 'A', dnsExpect: '10.96.0.1' }), { setup: startDns(mode) }).result;
    expect(r.dns).toMatchObject({ name: 'kubernetes.default.svc.cluster.local', server: '127.0.0.53', type: 'A', ok, status });
    if (ok) expect(r.dns.answers).toEqual(['10.96.0.1']);
    if (mode === 'drop') expect(r.dns.exit).toBe(9);
    const dnsErrors = (r.errors as string[]).filter((e) => e.startsWith('DNS'));
    if (error) expect(dnsErrors.join('\n')).toMatch(error); else expect(dnsErrors).toEqual([]);
  });

  it('an answer with another address than the kubernetes Service fails', () => {
    countHostTest();
    const r = runInNetns(opts(28), verify('ipvs', { dnsServer: '127.0.0.53', dnsExpect: '10.96.0.2' }), { setup: startDns('answer') }).result;
    expect(r.dns).toMatchObject({ ok: false, status: 'wrong-answer' });
  });
});

// KUBE-IPVS-FILTER as pkg/proxy/ipvs/proxier.go writes it from v1.26 (k/k PR #108460): INPUT jumps to it, and new
// packets to a kube-ipvs0 address that is not a Service ip,port are REJECTed (icmp-port-unreachable).
const ipvsNode = (filter: boolean, ipt: string) => `ip link add kube-ipvs0 type bridge
ip addr add 10.96.0.1/32 dev kube-ipvs0
ipset create KUBE-IPVS-IPS hash:ip
ipset add KUBE-IPVS-IPS 10.96.0.1
${filter ? `${ipt} -N KUBE-IPVS-FILTER
${ipt} -A INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER
${ipt} -A KUBE-IPVS-FILTER -m set --match-set KUBE-IPVS-IPS dst -m conntrack --ctstate NEW -j REJECT` : ''}`;

describe.skipIf(why !== undefined).each(['iptables-legacy', 'iptables-nft'])('test/host: verify.sh ping with real ping (%s)', (ipt) => {
  it('IPVS on v1.28: the rejection is the expected answer, the node passes on ping', () => {
    countHostTest();
    const r = runInNetns(opts(28), verify('ipvs', { pingTarget: '10.96.0.1' }), { setup: ipvsNode(true, ipt) }).result;
    expect(r.ping).toMatchObject({ target: '10.96.0.1', replies: 0, rejected: 3, expected: 'rejected', outcome: 'rejected' });
    expect((r.errors as string[]).filter((e) => /ping/.test(e))).toEqual([]);
  });

  it('IPVS on v1.25: the node replies from kube-ipvs0, as expected', () => {
    countHostTest();
    const r = runInNetns(opts(25), verify('ipvs', { pingTarget: '10.96.0.1' }), { setup: ipvsNode(false, ipt) }).result;
    expect(r.ping).toMatchObject({ replies: 3, rejected: 0, expected: 'replied', outcome: 'replied' });
    expect((r.errors as string[]).filter((e) => /ping/.test(e))).toEqual([]);
  });

  it('iptables mode with a leftover kube-ipvs0 (before v1.26): the reply fails the node', () => {
    countHostTest();
    const r = runInNetns(opts(25), verify('iptables', { pingTarget: '10.96.0.1' }), { setup: ipvsNode(false, ipt) }).result;
    expect(r.ping).toMatchObject({ outcome: 'replied', expected: 'no-reply' });
    expect(r.errors).toContain('ClusterIP 10.96.0.1 answers ping in iptables mode: an IPVS leftover (kube-ipvs0) still owns it');
  });
});
