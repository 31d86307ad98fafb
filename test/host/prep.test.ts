// Real-host tier: prep against the real sysctl, nft and iproute2 in a fresh network namespace. This host has no
// modprobe (and no IP_VS), so module loading is reported as missing here; the virtual servers are an ipvsadm stand-in.
import { expect, it } from 'vitest';
import { runInNetns } from './support/netns.js';
import { describeHost } from './support/tier.js';
import { kubeIpvs0 } from './support/kube-state.js';

describeHost('real-host tier: prep', () => {
  it('nftables target: reads the ARP sysctls before anything changes and the real nft version (>= 1.0.1); lists only non-Kubernetes virtual servers as foreign, fwmark included (ipvsadm stand-in)', () => {
    const { result: r } = runInNetns({
      phase: 'prep', backend: 'iptables-nft',
      input: { targetMode: 'nftables' },
      opts: { nodeContext: { kubeProxyMinor: 31, serviceVs: ['TCP:30080', 'TCP/203.0.113.10:80'] } },
      setup: ['sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2', 'ip link add node0 type bridge',
        'ip addr add 192.168.1.10/24 dev node0', kubeIpvs0(['10.96.0.1'])].join('\n'),
      ipvs: ['TCP 10.96.0.1:443', 'TCP 192.168.1.10:30080', 'TCP 203.0.113.10:80', 'FWM 100', 'TCP 10.0.0.50:80'],
    });
    expect(r.sysctlsBefore).toEqual({ 'net.ipv4.conf.all.arp_ignore': '1', 'net.ipv4.conf.all.arp_announce': '2' });
    expect(r.nftables).toMatchObject({ kernel: true, probe: 'ok', nftVersionOk: true });
    expect(r.nftables.nftVersion).toMatch(/^nftables v1\.\d+\.\d+/);
    expect(r).toMatchObject({ ipvsServices: 5, foreignIpvsServices: ['FWM 100', 'TCP 10.0.0.50:80'], foreignIpvsServicesCount: 2 });
    // Whatever fails here is module loading (no modprobe on this host), never the facts above.
    for (const e of r.errors as string[]) expect(e).toMatch(/^kernel module \S+ could not be loaded$/);
  });

  it('live pre-flight: reads the running kube-proxy\'s counters, sync duration and rule counts from its /metrics (Go float format, e+06 included)', () => {
    const run = runInNetns({
      phase: 'prep', backend: 'iptables-nft', setup: 'true',
      input: { targetMode: 'ipvs', metricsAddress: '127.0.0.1:10249' },
      services: { kubeProxy: [{ metrics: { host: '127.0.0.1', port: 10249 }, healthz: { host: '0.0.0.0', port: 10256 }, syncAfterReads: 0,
        counters: { localhostNodePorts: 1_234_567, ctInvalid: 17, nat: 2310, filter: 41 } }] },
    });
    expect(run.result.live, run.stderr).toEqual({
      metricsStatus: 200, localhostNodePortPackets: 1_234_567, ctStateInvalidDrops: 17, syncDurationMs: 250, syncs: 1, iptablesRules: { nat: 2310, filter: 41 },
    });
  });

  it('live pre-flight: a kube-proxy without the v1.31 counters gives nulls; nothing on the address gives only the status', () => {
    const old = runInNetns({
      phase: 'prep', backend: 'iptables-nft', setup: 'true', input: { targetMode: 'nftables', metricsAddress: '127.0.0.1:10249' },
      services: { kubeProxy: [{ metrics: { host: '127.0.0.1', port: 10249 }, healthz: { host: '0.0.0.0', port: 10256 }, syncAfterReads: 0 }] },
    }).result;
    expect(old.live).toEqual({ metricsStatus: 200, localhostNodePortPackets: null, ctStateInvalidDrops: null, syncDurationMs: 250, syncs: 1, iptablesRules: null });
    const none = runInNetns({ phase: 'prep', backend: 'iptables-nft', setup: 'true', input: { targetMode: 'ipvs', metricsAddress: '127.0.0.1:10249' } }).result;
    expect(none.live).toEqual({ metricsStatus: null });
  });
});
