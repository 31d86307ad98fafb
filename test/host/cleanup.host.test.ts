// Real-host tier: cleanup.sh after IPVS → iptables on a node that also carries kube-router's NetworkPolicy state
// (sets KUBE-SRC-*/KUBE-DST-*, chains KUBE-NWPLCY-*/KUBE-POD-FW-* and rules using them, cloudnativelabs/kube-router
// pkg/controllers/netpol), with real ipset and real iptables in both back ends. kube-proxy's IPVS-mode state is laid
// down as pkg/proxy/ipvs/proxier.go leaves it (iptablesJumpChain / iptablesChains, ipsetInfo names of ipset.go).
// IPVS virtual servers come from an ipvsadm stand-in (no IP_VS in this kernel); kube-ipvs0 is a DOWN bridge.
import { describe, expect, it } from 'vitest';
import { hostTierUnavailable, runInNetns } from './support.js';
import { countHostTest } from './count.js';

const why = hostTierUnavailable();
if (why && process.env.IPVS_BOT_HOST_TESTS === 'required') throw new Error(`the real-host tier must run here: ${why}`);

const state = (ipt: string) => `
ip link add kube-ipvs0 type bridge
ip addr add 10.96.0.1/32 dev kube-ipvs0
ip addr add 10.96.0.10/32 dev kube-ipvs0
ip link add eth0 type bridge
ip addr add 192.168.1.11/24 dev eth0
for s in KUBE-CLUSTER-IP KUBE-LOOP-BACK KUBE-NODE-PORT-TCP KUBE-IPVS-IPS; do ipset create $s hash:ip,port; done
ipset create KUBE-6-CLUSTER-IP hash:ip,port family inet6
# kube-router's sets and chains (its names share the KUBE- prefix)
ipset create KUBE-SRC-AB12CD34EF56GH78 hash:ip
ipset create KUBE-DST-AB12CD34EF56GH78 hash:ip
${ipt} -t nat -N KUBE-SERVICES; ${ipt} -t nat -N KUBE-POSTROUTING; ${ipt} -t nat -N KUBE-MARK-MASQ
${ipt} -t nat -N KUBE-NODE-PORT; ${ipt} -t nat -N KUBE-LOAD-BALANCER
${ipt} -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
${ipt} -t nat -A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ
${ipt} -t nat -A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT
${ipt} -t nat -A KUBE-NODE-PORT -p tcp -m set --match-set KUBE-NODE-PORT-TCP dst -j RETURN
${ipt} -N KUBE-IPVS-FILTER; ${ipt} -N KUBE-NODE-PORT; ${ipt} -N KUBE-IPVS-OUT-FILTER
${ipt} -A INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER
${ipt} -A INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT
${ipt} -A OUTPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-OUT-FILTER
${ipt} -A KUBE-IPVS-FILTER -m set --match-set KUBE-LOOP-BACK dst,dst,src -j RETURN
${ipt} -A KUBE-IPVS-FILTER -m set --match-set KUBE-IPVS-IPS dst -m conntrack --ctstate NEW -j REJECT
${ipt} -N KUBE-NWPLCY-DEFAULT; ${ipt} -N KUBE-POD-FW-ABCDEF1234567890
${ipt} -A FORWARD -m comment --comment "kube-router netpol" -j KUBE-POD-FW-ABCDEF1234567890
${ipt} -A KUBE-POD-FW-ABCDEF1234567890 -m set --match-set KUBE-SRC-AB12CD34EF56GH78 src -j KUBE-NWPLCY-DEFAULT
${ipt} -A KUBE-NWPLCY-DEFAULT -m set --match-set KUBE-DST-AB12CD34EF56GH78 dst -j ACCEPT
`;
const IPVS_TABLE = [
  'TCP  10.96.0.1:443 rr', '  -> 192.168.1.11:6443            Masq    1      0          0',
  'UDP  10.96.0.10:53 rr',
  'TCP  192.168.1.11:30080 rr',       // a NodePort VS on the node address (not on kube-ipvs0)
  'TCP  203.0.113.10:443 rr',         // a LoadBalancer ingress IP
  'TCP  192.168.1.50:80 wlc',         // keepalived
  'FWM  100 wlc',                     // keepalived, fwmark
].join('\n') + '\n';

describe.skipIf(why !== undefined).each(['legacy', 'nft'])('test/host: cleanup.sh after IPVS → iptables (iptables-%s)', (backend) => {
  it("removes kube-proxy's virtual servers, kube-ipvs0, chains and sets, and keeps kube-router's and keepalived's", () => {
    countHostTest();
    const ipt = `iptables-${backend}`;
    const r = runInNetns(
      { runId: 'host-tier', nodeContext: { kubeProxyMinor: 28, serviceVs: ['TCP:30080', 'TCP/203.0.113.10:443'] } },
      { phase: 'cleanup', node: 'node-1', targetMode: 'iptables', fromMode: 'ipvs', restoreSysctls: { 'net.ipv4.conf.all.arp_ignore': '0' } },
      {
        setup: state(ipt), stubIpvsadm: IPVS_TABLE, extraEnv: { IPVS_BOT_IPTABLES: backend },
        inspect: `echo "--- sets"; ipset list -n | sort; echo "--- filter"; ${ipt}-save -t filter; echo "--- nat"; ${ipt}-save -t nat; echo "--- links"; ip -o link show | grep -c kube-ipvs0 || true; echo "--- arp_ignore"; sysctl -n net.ipv4.conf.all.arp_ignore`,
      });
    expect(r.result.errors, r.stderr).toEqual([]);
    expect(r.result.ok).toBe(true);
    expect(r.result.removed).toMatchObject({ ipvsServices: 4, kubeIpvs0: 1, ipsets: 5 });
    expect(r.result.kept).toEqual({ foreignIpvsServices: 2, foreign: ['FWM 100', 'TCP 192.168.1.50:80'] });
    expect(r.result.restoredSysctls).toEqual({ 'net.ipv4.conf.all.arp_ignore': '0' });
    const [, sets, filter, nat, links] = r.after.split(/--- \w+\n/);
    expect(sets!.trim().split('\n')).toEqual(['KUBE-DST-AB12CD34EF56GH78', 'KUBE-SRC-AB12CD34EF56GH78']);
    expect(filter).toContain(':KUBE-NWPLCY-DEFAULT');
    expect(filter).toContain(':KUBE-POD-FW-ABCDEF1234567890');
    expect(filter).toContain('-A FORWARD -m comment --comment "kube-router netpol" -j KUBE-POD-FW-ABCDEF1234567890');
    expect(filter).toMatch(/-A KUBE-NWPLCY-DEFAULT -m set --match-set KUBE-DST-AB12CD34EF56GH78 dst -j ACCEPT/);
    expect(filter).not.toMatch(/KUBE-IPVS-FILTER|KUBE-IPVS-OUT-FILTER|:KUBE-NODE-PORT /);
    expect(nat).not.toMatch(/KUBE-NODE-PORT|KUBE-LOAD-BALANCER|KUBE-CLUSTER-IP/);
    expect(links!.trim()).toBe('0');
  });
});
