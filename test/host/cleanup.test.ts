// Real-host tier: the cleanup script against real iptables (legacy and nft back ends), ipset and iproute2 in a
// fresh network namespace, with kube-proxy's state of a given mode and version plus kube-router's and kubelet's.
import { expect, it } from 'vitest';
import { BACKENDS, rulesOf, runInNetns } from './support/netns.js';
import { describeHost } from './support/tier.js';
import { KUBE_PROXY_IPSETS, ipv6SetName, ipvsModeState, ipvsSetEntries, iptablesModeState, isForeignLine, kubeIpvs0, otherControllersState } from './support/kube-state.js';

const FOREIGN_SETS = ['KUBE-DST-QRSTUVWXYZ234567', 'KUBE-SRC-ABCDEFGHIJKLMNOP'];
const ALL_KUBE_PROXY_SETS = KUBE_PROXY_IPSETS.flatMap(([n]) => [n, ipv6SetName(n)]);

for (const backend of BACKENDS) {
  describeHost(`real-host tier: cleanup with ${backend}`, () => {
    it('rollback IPVS -> iptables (kube-proxy 1.29): removes kube-proxy\'s IPVS chains, every kube-proxy ipset, kube-ipvs0 (a bridge stand-in) and Kubernetes\' virtual servers (ipvsadm stand-in); kube-router\'s sets, chains and rules, kubelet\'s KUBE-FIREWALL, the fwmark and keepalived VS stay', () => {
      const run = runInNetns({
        phase: 'cleanup', backend,
        input: { targetMode: 'iptables', fromMode: 'ipvs', attempt: 'rollback', restoreSysctls: { 'net.ipv4.conf.all.arp_ignore': '0', 'net.ipv4.conf.all.arp_announce': '0' } },
        opts: { nodeContext: { kubeProxyMinor: 29, serviceVs: ['TCP:30080', 'TCP/203.0.113.10:80'] } },
        setup: [
          'ip link add node0 type bridge', 'ip addr add 192.168.1.10/24 dev node0', // the node's own address
          'sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2', // strictARP
          kubeIpvs0(['10.96.0.1', '10.96.0.10', 'fd00:10:96::1']),
          ipvsModeState(backend, 29, { v6: true }), ipvsSetEntries(['10.96.0.1', '10.96.0.10'], ['fd00:10:96::1']),
          // The new kube-proxy (iptables mode) has synced: it re-declared the chains both modes share.
          iptablesModeState(backend), otherControllersState(backend),
        ].join('\n'),
        ipvs: ['TCP 10.96.0.1:443', 'UDP 10.96.0.10:53', 'TCP [fd00:10:96::1]:443', 'TCP 192.168.1.10:30080', 'TCP 203.0.113.10:80', 'FWM 100', 'TCP 10.0.0.50:80'],
      });
      const { result: r, before, after } = run;
      expect(r.errors, run.stderr).toEqual([]);
      expect(r).toMatchObject({ ok: true, fromMode: 'ipvs', removed: { ipvsServices: 5, kubeIpvs0: 1 }, kept: { foreignIpvsServices: 2, foreign: ['FWM 100', 'TCP 10.0.0.50:80'] } });
      expect(r.restoredSysctls).toEqual({ 'net.ipv4.conf.all.arp_ignore': '0', 'net.ipv4.conf.all.arp_announce': '0' });
      expect(before.arpSysctls).toBe('1\n2');
      expect(after.arpSysctls).toBe('0\n0');
      // Every one of kube-proxy's sets (IPv4 and the KUBE-6- ones, truncated names included) existed and is gone.
      expect(before.ipsets).toEqual([...ALL_KUBE_PROXY_SETS, ...FOREIGN_SETS].sort());
      expect(after.ipsets).toEqual(FOREIGN_SETS);
      expect(r.removed.ipsets).toBe(ALL_KUBE_PROXY_SETS.length);
      // Nothing of another controller's changed: each of its lines is still there, as iptables-save prints it.
      const foreign = rulesOf(before.iptables).filter(isForeignLine);
      expect(foreign.length).toBeGreaterThan(12);
      expect(rulesOf(after.iptables).filter(isForeignLine)).toEqual(foreign);
      // kube-proxy's IPVS-only chains and every rule on its sets are gone, IPv4 and IPv6; the iptables mode's remain.
      expect(after.iptables).not.toMatch(/:KUBE-(NODE-PORT|LOAD-BALANCER|IPVS-FILTER|IPVS-OUT-FILTER|SOURCE-RANGES-FIREWALL) /);
      expect(after.iptables.match(/--match-set [^ ]+/g)).toEqual(['--match-set KUBE-SRC-ABCDEFGHIJKLMNOP', '--match-set KUBE-DST-QRSTUVWXYZ234567']);
      expect(before.ip6tables).toContain(':KUBE-IPVS-FILTER');
      expect(after.ip6tables).not.toMatch(/KUBE-IPVS-FILTER|KUBE-6-/);
      for (const kept of [':KUBE-SVC-NPX46M4PTMTKRN6Y ', ':KUBE-NODEPORTS ', ':KUBE-SERVICES ', ':KUBE-EXTERNAL-SERVICES ', ':KUBE-PROXY-FIREWALL ']) expect(after.iptables).toContain(kept);
      expect(before.links).toContain('kube-ipvs0');
      expect(after.links).not.toContain('kube-ipvs0');
      expect(after.ipvs).toBe('FWM 100\nTCP 10.0.0.50:80\n');
    });

    it('iptables -> IPVS (kube-proxy 1.28): removes the iptables mode\'s Service and filter chains and the jumps into them; kube-proxy\'s IPVS state and kube-router\'s stay', () => {
      const run = runInNetns({
        phase: 'cleanup', backend,
        input: { targetMode: 'ipvs', fromMode: 'iptables', attempt: '1' },
        opts: { nodeContext: { kubeProxyMinor: 28 } },
        setup: [
          iptablesModeState(backend), otherControllersState(backend),
          // The new kube-proxy (IPVS mode) has synced over the old one's rules.
          kubeIpvs0(['10.96.0.1']), ipvsModeState(backend, 28), ipvsSetEntries(['10.96.0.1']),
        ].join('\n'),
      });
      const { result: r, before, after } = run;
      expect(r.errors, run.stderr).toEqual([]);
      expect(r).toMatchObject({ ok: true, removed: { ipvsServices: 0, kubeIpvs0: 0, ipsets: 0 }, after: { iptablesModeChains: 0 } });
      expect(before.iptables).toMatch(/:KUBE-SVC-NPX46M4PTMTKRN6Y |:KUBE-EXTERNAL-SERVICES /);
      expect(after.iptables).not.toMatch(/KUBE-SVC-|KUBE-SEP-|KUBE-EXT-|KUBE-NODEPORTS|KUBE-EXTERNAL-SERVICES/);
      const filter = after.iptables.slice(after.iptables.indexOf('*filter'));
      expect(filter).not.toMatch(/KUBE-SERVICES/); // in filter, KUBE-SERVICES is the iptables mode's alone
      expect(rulesOf(after.iptables).filter(isForeignLine)).toEqual(rulesOf(before.iptables).filter(isForeignLine));
      for (const kept of [':KUBE-IPVS-FILTER ', ':KUBE-NODE-PORT ', ':KUBE-LOAD-BALANCER ', '--match-set KUBE-IPVS-IPS dst -j REJECT']) expect(after.iptables).toContain(kept);
      expect(after.ipsets).toEqual(before.ipsets);
      expect(after.links).toContain('kube-ipvs0');
    });
  });
}
