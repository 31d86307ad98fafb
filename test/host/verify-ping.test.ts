// Real-host tier: verify's ping fingerprint with the real ping (iputils) against real iptables REJECT rules, a
// kube-ipvs0 bridge stand-in (this kernel has no dummy link type; a DOWN bridge's addresses are local all the same)
// and a ClusterIP routed into silence; plus the IPv6 TCP target and metrics address through real sockets.
import { expect, it } from 'vitest';
import { BACKENDS, runInNetns, type Backend, type NetnsCase } from './support/netns.js';
import { describeHost } from './support/tier.js';
import { ipvsModeState, ipvsSetEntries, iptablesModeState, kubeIpvs0 } from './support/kube-state.js';

// A ClusterIP nothing owns: routed out of a veth whose peer drops it (forwarding is off in a new namespace).
const SILENT_ROUTE = [
  'ip link add v0 type veth peer name v1', 'ip link set v0 up', 'ip link set v1 up', 'ip route add 10.96.0.0/12 dev v0',
  'ip neigh add 10.96.0.1 lladdr "$(ip -o link show v1 | grep -o "link/ether [0-9a-f:]*" | cut -d" " -f2)" dev v0 nud permanent',
].join('\n');

function verify(backend: Backend, targetMode: 'ipvs' | 'iptables', minor: number | undefined, setup: string, extra: Partial<NetnsCase> = {}) {
  return runInNetns({
    phase: 'verify', backend, setup,
    input: { targetMode, attempt: '1', verify: { servicePorts: 0, dnsName: '', pingTarget: '10.96.0.1' } },
    opts: minor === undefined ? {} : { nodeContext: { kubeProxyMinor: minor } },
    services: { http: [{ host: '127.0.0.1', port: 10249, body: targetMode }] },
    ...extra,
  });
}

for (const backend of BACKENDS) {
  describeHost(`real-host tier: verify ping with ${backend} (kube-ipvs0 is a bridge stand-in)`, () => {
    it('IPVS, kube-proxy 1.28: KUBE-IPVS-FILTER REJECTs the echo request ("+3 errors"): outcome rejected, as expected, node passes', () => {
      const { result: r } = verify(backend, 'ipvs', 28, [kubeIpvs0(['10.96.0.1']), ipvsModeState(backend, 28), ipvsSetEntries(['10.96.0.1'])].join('\n'));
      expect(r.ping).toEqual({ target: '10.96.0.1', replies: 0, rejected: 3, expected: 'rejected', outcome: 'rejected' });
      expect(r).toMatchObject({ ok: true, errors: [], proxyMode: 'ipvs', kubeIpvs0: true });
    });

    it('IPVS, kube-proxy 1.28 without its REJECT rule: the address replies, a warning names KUBE-IPVS-FILTER, no error', () => {
      const { result: r } = verify(backend, 'ipvs', 28, kubeIpvs0(['10.96.0.1']));
      expect(r.ping).toMatchObject({ replies: 3, rejected: 0, expected: 'rejected', outcome: 'replied' });
      expect(r.ok).toBe(true);
      expect(r.warnings.join(' ')).toMatch(/KUBE-IPVS-FILTER missing/);
    });
  });
}

describeHost('real-host tier: verify ping per mode and version (kube-ipvs0 is a bridge stand-in)', () => {
  const b: Backend = 'iptables-nft';
  it('IPVS, kube-proxy 1.25 (before KUBE-IPVS-FILTER): the ClusterIP on kube-ipvs0 replies; passes', () => {
    const { result: r } = verify(b, 'ipvs', 25, [kubeIpvs0(['10.96.0.1']), ipvsModeState(b, 25), ipvsSetEntries(['10.96.0.1'])].join('\n'));
    expect(r.ping).toEqual({ target: '10.96.0.1', replies: 3, rejected: 0, expected: 'replied', outcome: 'replied' });
    expect(r.errors).toEqual([]);
  });

  it('IPVS, kube-proxy 1.25, ClusterIP not bound: silence is read as no-answer and fails the node', () => {
    const { result: r } = verify(b, 'ipvs', 25, SILENT_ROUTE);
    expect(r.ping).toMatchObject({ replies: 0, rejected: 0, outcome: 'no-answer' });
    expect(r.errors).toEqual(['kube-ipvs0 does not exist', 'ClusterIP 10.96.0.1 does not answer ping: it is not bound to kube-ipvs0']);
  });

  it('IPVS with an unknown kube-proxy version: a rejection is fine (replied-or-rejected)', () => {
    const { result: r } = verify(b, 'ipvs', undefined, [kubeIpvs0(['10.96.0.1']), ipvsModeState(b, 30), ipvsSetEntries(['10.96.0.1'])].join('\n'));
    expect(r.ping).toMatchObject({ expected: 'replied-or-rejected', outcome: 'rejected' });
    expect(r.errors).toEqual([]);
  });

  it('iptables mode: no answer is what is expected; IPv6 TCP target [::1]:port and metrics [::]:port reached', () => {
    const { result: r } = runInNetns({
      phase: 'verify', backend: b, setup: [SILENT_ROUTE, iptablesModeState(b)].join('\n'),
      input: { targetMode: 'iptables', attempt: '1', verify: { servicePorts: 0, dnsName: '', pingTarget: '10.96.0.1', tcpTarget: '[::1]:8443', metricsAddress: '[::]:10249' } },
      opts: { nodeContext: { kubeProxyMinor: 28 } },
      services: { http: [{ host: '::1', port: 10249, body: 'iptables' }, { host: '::1', port: 8443, body: '' }] },
    });
    expect(r.ping).toEqual({ target: '10.96.0.1', replies: 0, rejected: 0, expected: 'no-reply', outcome: 'no-answer' });
    expect(r).toMatchObject({ ok: true, errors: [], proxyMode: 'iptables', tcp: { target: '[::1]:8443', ok: true }, kubeSvcChains: 1 });
  });

  it('iptables mode with a leftover kube-ipvs0: the ClusterIP replies, which fails the node', () => {
    const { result: r } = verify(b, 'iptables', 28, kubeIpvs0(['10.96.0.1']));
    expect(r.ping).toMatchObject({ replies: 3, expected: 'no-reply', outcome: 'replied' });
    expect(r.errors).toEqual([
      'kube-ipvs0 still exists: ClusterIPs stay local addresses on this node until it is removed',
      'ClusterIP 10.96.0.1 answers ping in iptables mode: an IPVS leftover (kube-ipvs0) still owns it',
    ]);
  });

  it('IPv6 ClusterIP, IPVS, kube-proxy 1.30: ping -6 is rejected by the ip6tables KUBE-IPVS-FILTER', () => {
    const { result: r } = runInNetns({
      phase: 'verify', backend: b,
      setup: [kubeIpvs0(['fd00:10:96::1']), ipvsModeState(b, 30, { v6: true }), ipvsSetEntries([], ['fd00:10:96::1'])].join('\n'),
      input: { targetMode: 'ipvs', attempt: '1', verify: { servicePorts: 0, dnsName: '', pingTarget: 'fd00:10:96::1', metricsAddress: '[::1]:10249' } },
      opts: { nodeContext: { kubeProxyMinor: 30 } },
      services: { http: [{ host: '::1', port: 10249, body: 'ipvs' }] },
    });
    expect(r.ping).toEqual({ target: 'fd00:10:96::1', replies: 0, rejected: 3, expected: 'rejected', outcome: 'rejected' });
    expect(r.errors).toEqual([]);
  });
});
