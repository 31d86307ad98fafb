// Another NetworkPolicy controller's state on a node, shaped like kube-router's (also k3s's embedded netpol):
// chains KUBE-ROUTER-INPUT/FORWARD/OUTPUT jumped from the builtins, per-pod KUBE-POD-FW-<hash> chains, per-policy
// KUBE-NWPLCY-<hash> chains and KUBE-NWPLCY-DEFAULT, ipsets KUBE-SRC-<hash>/KUBE-DST-<hash> matched by the policy
// rules (cloudnativelabs/kube-router pkg/controllers/netpol/network_policy_controller.go constants). kube-proxy shares
// the `KUBE-` prefix but none of these names.
import type { HostState } from './host-state.js';

export const KUBE_ROUTER = {
  chains: ['KUBE-ROUTER-INPUT', 'KUBE-ROUTER-FORWARD', 'KUBE-ROUTER-OUTPUT', 'KUBE-POD-FW-4IXGDLPTBNAZWQJK', 'KUBE-NWPLCY-DEFAULT', 'KUBE-NWPLCY-3XRJKEWPMJ6FSZUD'],
  ipsets: ['KUBE-SRC-6MOAQQGGFDFXLIBY', 'KUBE-DST-RTOXBYZ5VEQNAHH6'],
};

export function addKubeRouterState(h: HostState): void {
  for (const c of KUBE_ROUTER.chains) h.filter.add(c);
  for (const s of KUBE_ROUTER.ipsets) h.ipsets.add(s);
  h.addRule({ table: 'filter', chain: 'INPUT', target: 'KUBE-ROUTER-INPUT' });
  h.addRule({ table: 'filter', chain: 'FORWARD', target: 'KUBE-ROUTER-FORWARD' });
  h.addRule({ table: 'filter', chain: 'OUTPUT', target: 'KUBE-ROUTER-OUTPUT' });
  h.addRule({ table: 'filter', chain: 'KUBE-ROUTER-FORWARD', target: 'KUBE-POD-FW-4IXGDLPTBNAZWQJK' });
  h.addRule({ table: 'filter', chain: 'KUBE-POD-FW-4IXGDLPTBNAZWQJK', target: 'KUBE-NWPLCY-DEFAULT' });
  h.addRule({ table: 'filter', chain: 'KUBE-POD-FW-4IXGDLPTBNAZWQJK', target: 'KUBE-NWPLCY-3XRJKEWPMJ6FSZUD' });
  h.addRule({ table: 'filter', chain: 'KUBE-NWPLCY-3XRJKEWPMJ6FSZUD', target: 'ACCEPT', sets: ['KUBE-SRC-6MOAQQGGFDFXLIBY', 'KUBE-DST-RTOXBYZ5VEQNAHH6'] });
}
