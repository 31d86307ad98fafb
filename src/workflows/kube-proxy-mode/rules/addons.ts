// Add-ons that change what the switch means: MetalLB / kube-vip need strictARP with IPVS (domain §6.2), Calico's
// Felix detects IPVS only at start-up (§3), Cilium may replace kube-proxy (§6.7), kubespray reverts the ConfigMap
// on its next upgrade (§1.4).
import type { Workload } from '../facts.js';
import type { Rule } from './rule.js';

const find = (ws: Workload[], pred: (w: Workload) => boolean) => ws.find(pred);

export function hasCalico(ws: Workload[]): boolean {
  return ws.some((w) => w.name === 'calico-node' && w.kind === 'DaemonSet');
}

export const strictArp: Rule = ({ facts, input }) => {
  if (input.targetMode !== 'ipvs') return undefined;
  const lb = find(facts.workloads, (w) => w.namespace === 'metallb-system' || /metallb|kube-vip/.test(w.name));
  if (!lb) return undefined;
  const what = /kube-vip/.test(lb.name) ? 'kube-vip' : 'MetalLB';
  if (!input.strictArp) {
    return {
      id: 'strict-arp', verdict: 'block',
      message: `${what} is installed (${lb.namespace}/${lb.name}): with IPVS every node would answer ARP for its addresses. Plan again with --strict-arp.`,
    };
  }
  return { id: 'strict-arp', verdict: 'warn', message: `${what} is installed; strictARP will set arp_ignore=1 / arp_announce=2 on every node (host-wide).` };
};

export const calico: Rule = ({ facts }) => {
  if (!hasCalico(facts.workloads)) return undefined;
  return {
    id: 'calico', verdict: 'warn',
    message: 'Calico detected: Felix notices the mode only at start-up, so the bot restarts calico-node on each node right after its kube-proxy.',
  };
};

export const cilium: Rule = ({ facts }) => {
  if (!facts.workloads.some((w) => w.name === 'cilium' && w.kind === 'DaemonSet')) return undefined;
  return { id: 'cilium', verdict: 'warn', message: 'Cilium detected: if its kube-proxy replacement is on, kube-proxy\'s mode does not matter for Services.' };
};

export const kubespray: Rule = ({ facts, input }) => {
  const marker = find(facts.workloads, (w) => w.namespace === 'kube-system' && (w.name === 'nodelocaldns' || w.name === 'dns-autoscaler'))
    ?? (facts.nodes.some((n) => Object.keys(n.labels).some((k) => k.includes('kubespray'))) ? { name: 'node labels' } : undefined);
  if (!marker) return undefined;
  return {
    id: 'kubespray', verdict: 'warn',
    message: `This cluster looks kubespray-managed (${marker.name}): its next upgrade rewrites the kube-proxy ConfigMap. Set kube_proxy_mode: ${input.targetMode}${input.strictArp ? ' and kube_proxy_strict_arp: true' : ''} in the inventory too.`,
  };
};
