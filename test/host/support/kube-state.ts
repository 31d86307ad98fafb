// Node state as kube-proxy (by mode and version) and another controller (kube-router) leave it, in iptables-save
// form, to be loaded with the real iptables-restore. Sources, kubernetes/kubernetes:
//   pkg/proxy/ipvs/proxier.go   iptablesJumpChain, iptablesChains, ipsetInfo, ipsetWithIptablesChain, writeIptablesRules
//                               (KUBE-IPVS-FILTER's RETURNs and, from v1.26, `-m conntrack --ctstate NEW -m set
//                               --match-set KUBE-IPVS-IPS dst -j REJECT`; KUBE-IPVS-OUT-FILTER from v1.29)
//   pkg/proxy/ipvs/ipset.go     the set names and comments; NewIPSet: IPv6 sets are "KUBE-6-" + rest, cut to 31 chars
//   pkg/proxy/iptables/proxier.go  iptablesJumpChains, KUBE-SVC-/KUBE-SEP-<16 base32> chains
// kube-router: pkg/controllers/netpol (KUBE-ROUTER-INPUT/FORWARD/OUTPUT, KUBE-NWPLCY-*, KUBE-POD-FW-*, KUBE-SRC-* /
// KUBE-DST-* ipsets). kubelet: KUBE-FIREWALL (pkg/kubelet/kubelet_network_linux.go).
import type { Backend } from './netns.js';
import { restore } from './netns.js';

/** [name, ipset type] of kube-proxy's IPVS-mode sets (ipsetInfo order). */
export const KUBE_PROXY_IPSETS: [string, string][] = [
  ['KUBE-LOOP-BACK', 'hash:ip,port,ip'], ['KUBE-CLUSTER-IP', 'hash:ip,port'], ['KUBE-EXTERNAL-IP', 'hash:ip,port'],
  ['KUBE-EXTERNAL-IP-LOCAL', 'hash:ip,port'], ['KUBE-LOAD-BALANCER', 'hash:ip,port'], ['KUBE-LOAD-BALANCER-FW', 'hash:ip,port'],
  ['KUBE-LOAD-BALANCER-LOCAL', 'hash:ip,port'], ['KUBE-LOAD-BALANCER-SOURCE-IP', 'hash:ip,port,ip'],
  ['KUBE-LOAD-BALANCER-SOURCE-CIDR', 'hash:ip,port,net'], ['KUBE-NODE-PORT-TCP', 'bitmap:port'], ['KUBE-NODE-PORT-LOCAL-TCP', 'bitmap:port'],
  ['KUBE-NODE-PORT-UDP', 'bitmap:port'], ['KUBE-NODE-PORT-LOCAL-UDP', 'bitmap:port'], ['KUBE-NODE-PORT-SCTP-HASH', 'hash:ip,port'],
  ['KUBE-NODE-PORT-LOCAL-SCTP-HASH', 'hash:ip,port'], ['KUBE-HEALTH-CHECK-NODE-PORT', 'bitmap:port'], ['KUBE-IPVS-IPS', 'hash:ip'],
];
/** NewIPSet's IPv6 name. */
export const ipv6SetName = (name: string) => `KUBE-6-${name.slice('KUBE-'.length)}`.slice(0, 31);

function createSets(family: 4 | 6): string {
  return KUBE_PROXY_IPSETS.map(([name, type]) => {
    const n = family === 6 ? ipv6SetName(name) : name;
    const opts = type === 'bitmap:port' ? 'range 0-65535' : `family ${family === 6 ? 'inet6' : 'inet'}`;
    return `ipset create ${n} ${type} ${opts} -exist`;
  }).join('\n');
}

/** kube-ipvs0 (a DOWN bridge: this kernel has no dummy link type) with ClusterIPs bound, as netlink.go EnsureAddressBind. */
export function kubeIpvs0(addrs: string[]): string {
  return ['ip link add kube-ipvs0 type bridge', ...addrs.map((a) => `ip addr add ${a}/${a.includes(':') ? 128 : 32} dev kube-ipvs0${a.includes(':') ? ' nodad' : ''}`)].join('\n');
}

/** The sets, nat and filter rules kube-proxy in IPVS mode writes (IPv4), and for minor >= 26 the REJECT. */
export function ipvsModeState(backend: Backend, minor: number, opts: { v6?: boolean } = {}): string {
  const reject = minor >= 26 ? '\n-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT --reject-with icmp-port-unreachable' : '';
  const outFilter = minor >= 29;
  const nat = `*nat
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-LOAD-BALANCER - [0:0]
:KUBE-MARK-MASQ - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-LOAD-BALANCER -m comment --comment "Kubernetes service load balancer ip + port with externalTrafficPolicy=local" -m set --match-set KUBE-LOAD-BALANCER-LOCAL dst,dst -j RETURN
-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port with externalTrafficPolicy=local" -m set --match-set KUBE-NODE-PORT-LOCAL-TCP dst -j RETURN
-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ
-A KUBE-NODE-PORT -p udp -m comment --comment "Kubernetes nodeport UDP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-UDP dst -j KUBE-MARK-MASQ
-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SERVICES -m comment --comment "Kubernetes service lb portal" -m set --match-set KUBE-LOAD-BALANCER dst,dst -j KUBE-LOAD-BALANCER
-A KUBE-SERVICES ! -s 10.244.0.0/16 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ
-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT
-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT
-A KUBE-SERVICES -m set --match-set KUBE-LOAD-BALANCER dst,dst -j ACCEPT
COMMIT`;
  const filter = `*filter
:KUBE-FORWARD - [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SOURCE-RANGES-FIREWALL - [0:0]
:KUBE-IPVS-FILTER - [0:0]${outFilter ? '\n:KUBE-IPVS-OUT-FILTER - [0:0]' : ''}
-A INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT
-A INPUT -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL${outFilter ? '\n-A OUTPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-OUT-FILTER' : ''}
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-NODE-PORT -m comment --comment "Kubernetes health check node port" -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT
-A KUBE-PROXY-FIREWALL -m comment --comment "Kubernetes service load balancer ip + port for load balancer with sourceRange" -m set --match-set KUBE-LOAD-BALANCER-FW dst,dst -j KUBE-SOURCE-RANGES-FIREWALL
-A KUBE-SOURCE-RANGES-FIREWALL -m comment --comment "Kubernetes service load balancer ip + port + source cidr for packet filter purpose" -m set --match-set KUBE-LOAD-BALANCER-SOURCE-CIDR dst,dst,src -j RETURN
-A KUBE-SOURCE-RANGES-FIREWALL -j DROP
-A KUBE-IPVS-FILTER -m set --match-set KUBE-LOAD-BALANCER dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set KUBE-CLUSTER-IP dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP-LOCAL dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j RETURN${reject}
COMMIT`;
  const parts = [createSets(4), restore(backend, 4, nat), restore(backend, 4, filter)];
  if (opts.v6) {
    const reject6 = minor >= 26 ? '\n-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-6-IPVS-IPS dst -j REJECT --reject-with icmp6-port-unreachable' : '';
    parts.push(createSets(6), restore(backend, 6, `*filter
:KUBE-IPVS-FILTER - [0:0]
-A INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER
-A KUBE-IPVS-FILTER -m set --match-set KUBE-6-CLUSTER-IP dst,dst -j RETURN${reject6}
COMMIT`));
  }
  return parts.join('\n');
}

/** Fill KUBE-IPVS-IPS (kube-ipvs0's addresses) and KUBE-CLUSTER-IP (ClusterIP,port), as syncProxyRules does. */
export function ipvsSetEntries(v4: string[], v6: string[] = []): string {
  return [...v4.map((a) => `ipset add KUBE-IPVS-IPS ${a} -exist\nipset add KUBE-CLUSTER-IP ${a},tcp:443 -exist`),
    ...v6.map((a) => `ipset add KUBE-6-IPVS-IPS ${a} -exist`)].join('\n');
}

/** kube-proxy in iptables mode (v1.28): nat Service chains and the filter jump chains. */
export function iptablesModeState(backend: Backend): string {
  return [restore(backend, 4, `*nat
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]
:KUBE-SEP-IT2ZTR26TO4XFPTO - [0:0]
:KUBE-EXT-JD5MR3NA4I4DYORP - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j KUBE-EXT-JD5MR3NA4I4DYORP
-A KUBE-EXT-JD5MR3NA4I4DYORP -j KUBE-SVC-NPX46M4PTMTKRN6Y
-A KUBE-SEP-IT2ZTR26TO4XFPTO -s 172.18.0.2/32 -m comment --comment "default/kubernetes:https" -j KUBE-MARK-MASQ
-A KUBE-SEP-IT2ZTR26TO4XFPTO -p tcp -m comment --comment "default/kubernetes:https" -m tcp -j DNAT --to-destination 172.18.0.2:6443
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment "default/kubernetes:https -> 172.18.0.2:6443" -j KUBE-SEP-IT2ZTR26TO4XFPTO
COMMIT`), restore(backend, 4, `*filter
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "kube-system/kube-dns:dns-tcp has no endpoints" -m tcp --dport 53 -j REJECT --reject-with icmp-port-unreachable
COMMIT`)].join('\n');
}

/** kube-router's NetworkPolicy state (KUBE- prefixed sets and chains that are not kube-proxy's) and kubelet's KUBE-FIREWALL. */
export function otherControllersState(backend: Backend): string {
  return ['ipset create KUBE-SRC-ABCDEFGHIJKLMNOP hash:ip family inet -exist', 'ipset add KUBE-SRC-ABCDEFGHIJKLMNOP 10.244.2.7 -exist',
    'ipset create KUBE-DST-QRSTUVWXYZ234567 hash:ip family inet -exist', 'ipset add KUBE-DST-QRSTUVWXYZ234567 10.244.1.5 -exist',
    restore(backend, 4, `*filter
:KUBE-ROUTER-INPUT - [0:0]
:KUBE-ROUTER-FORWARD - [0:0]
:KUBE-ROUTER-OUTPUT - [0:0]
:KUBE-NWPLCY-ABCDEFGHIJKLMNOP - [0:0]
:KUBE-POD-FW-QRSTUVWXYZ234567 - [0:0]
:KUBE-FIREWALL - [0:0]
-A INPUT -m comment --comment "kube-router netpol - 4IA2OSFRMVNDXBVV" -j KUBE-ROUTER-INPUT
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m comment --comment "kube-router netpol - TEMCG2JMHZYE7H7T" -j KUBE-ROUTER-FORWARD
-A OUTPUT -m comment --comment "kube-router netpol - VEAAIY32XVBHCSCY" -j KUBE-ROUTER-OUTPUT
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-ROUTER-INPUT -d 10.96.0.0/12 -m comment --comment "allow traffic to primary/secondary cluster IP range - EXCM3QMCCSEO5T4F" -j RETURN
-A KUBE-ROUTER-FORWARD -d 10.244.1.5/32 -m comment --comment "rule to jump traffic destined to POD name:web namespace: default to chain KUBE-POD-FW-QRSTUVWXYZ234567" -j KUBE-POD-FW-QRSTUVWXYZ234567
-A KUBE-POD-FW-QRSTUVWXYZ234567 -m comment --comment "rule for stateful firewall for pod" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-POD-FW-QRSTUVWXYZ234567 -m comment --comment "run through nw policy allow-web" -j KUBE-NWPLCY-ABCDEFGHIJKLMNOP
-A KUBE-NWPLCY-ABCDEFGHIJKLMNOP -m comment --comment "rule to ACCEPT traffic from source pods to dest pods selected by policy name allow-web namespace default" -m set --match-set KUBE-SRC-ABCDEFGHIJKLMNOP src -m set --match-set KUBE-DST-QRSTUVWXYZ234567 dst -j MARK --set-xmark 0x10000/0x10000
COMMIT`), restore(backend, 4, `*nat
-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j MASQUERADE
COMMIT`)].join('\n');
}

/** True for a line that another controller (kube-router, kubelet, the CNI) owns. */
export const isForeignLine = (l: string) => /KUBE-ROUTER-|KUBE-NWPLCY-|KUBE-POD-FW-|KUBE-SRC-|KUBE-DST-|KUBE-FIREWALL|flanneld/.test(l);
