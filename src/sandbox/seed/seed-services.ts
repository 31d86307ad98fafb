// Service objects of the seeded cluster, per IP family: `kubernetes` and `kube-dns` (single-stack in the primary family,
// as kube-apiserver and kubeadm create them), extra ClusterIP Services, and the option-given ones with their types,
// nodePorts (allocated from 30000 like the apiserver's default --service-node-port-range), externalIPs,
// status.loadBalancer.ingress (as MetalLB writes it), externalTrafficPolicy and ipFamilyPolicy.
import type { K8sObject } from '../object-store.js';
import { type ClusterOptions, type ServiceOption, familyOrder } from '../cluster-options.js';

/** Service CIDRs: kubeadm's default 10.96.0.0/12, and fd00:10:96::/112 (kind's / the kubeadm docs' IPv6 example). */
export function serviceIP(v6: boolean, n: number): string {
  if (v6) return `fd00:10:96::${n.toString(16)}`;
  return `10.96.${Math.floor(n / 256)}.${n % 256}`;
}

const fam = (v6: boolean) => (v6 ? 'IPv6' : 'IPv4');

export interface SvcPort { name: string; port: number; protocol: string; targetPort: number; nodePort?: number }

export function serviceObject(name: string, namespace: string, ips: string[], ports: SvcPort[], labels: Record<string, string>, extra: {
  type?: string; externalIPs?: string[]; ingress?: string[]; etp?: string; policy?: string;
} = {}): K8sObject {
  const type = extra.type ?? 'ClusterIP';
  const external = type === 'NodePort' || type === 'LoadBalancer';
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels },
    spec: {
      clusterIP: ips[0], clusterIPs: ips, internalTrafficPolicy: 'Cluster',
      ipFamilies: ips.map((ip) => fam(ip.includes(':'))), ipFamilyPolicy: extra.policy ?? 'SingleStack',
      ports, sessionAffinity: 'None', type,
      ...(extra.externalIPs?.length ? { externalIPs: extra.externalIPs } : {}),
      ...(external ? { externalTrafficPolicy: extra.etp ?? 'Cluster' } : {}),
      ...(type === 'LoadBalancer' ? { allocateLoadBalancerNodePorts: true } : {}),
    },
    status: { loadBalancer: extra.ingress?.length ? { ingress: extra.ingress.map((ip) => ({ ip, ipMode: 'VIP' })) } : {} },
  };
}

/** The Services to create, in order: kubernetes, extra ClusterIP ones, option-given ones (kube-dns comes from the fixture). */
export function seedServices(o: ClusterOptions, apiServerIP: string): { objects: K8sObject[]; kubeDnsIP: string } {
  const order = familyOrder(o.ipFamilies);
  const primary = order[0] ?? false;
  const objects: K8sObject[] = [];
  objects.push(serviceObject('kubernetes', 'default', [serviceIP(primary, 1)], [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
    { component: 'apiserver', provider: 'kubernetes' }));
  void apiServerIP;
  for (let i = 0; i < o.extraServices; i++) {
    objects.push(serviceObject(`svc-${i + 1}`, 'default', [serviceIP(primary, 258 + i)], [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], { app: `svc-${i + 1}` }));
  }
  let nodePort = 30000;
  o.services.forEach((s: ServiceOption, i) => {
    const dual = o.ipFamilies === 'DualStack' && (s.ipFamilyPolicy === 'PreferDualStack' || s.ipFamilyPolicy === 'RequireDualStack');
    const n = 0x2000 + i;
    const ips = dual ? order.map((v6) => serviceIP(v6, n)) : [serviceIP(primary, n)];
    const ports: SvcPort[] = s.ports.map((p) => ({
      name: p.name, port: p.port, protocol: p.protocol, targetPort: p.targetPort ?? p.port,
      ...(s.type !== 'ClusterIP' ? { nodePort: p.nodePort ?? nodePort++ } : {}),
    }));
    objects.push(serviceObject(s.name, s.namespace, ips, ports, { app: s.name }, {
      type: s.type, externalIPs: s.externalIPs, ingress: s.type === 'LoadBalancer' ? s.loadBalancerIngress : [],
      etp: s.externalTrafficPolicy, policy: dual ? s.ipFamilyPolicy : (s.ipFamilyPolicy === 'RequireDualStack' ? 'RequireDualStack' : 'SingleStack'),
    }));
  });
  return { objects, kubeDnsIP: serviceIP(primary, 10) };
}
