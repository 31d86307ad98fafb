// Service objects → the ports kube-proxy programs (pkg/proxy/servicechangetracker.go / serviceport.go): every
// ClusterIP of spec.clusterIPs, nodePort, spec.externalIPs, status.loadBalancer.ingress[].ip (LoadBalancer only),
// externalTrafficPolicy. Headless Services (clusterIP None) and ExternalName get nothing.
import type { K8sObject } from './object-store.js';
import type { ServicePort } from './node-agent/host-state.js';

interface Spec {
  type?: string; clusterIP?: string; clusterIPs?: string[]; externalIPs?: string[]; externalTrafficPolicy?: string;
  ports?: { name?: string; port: number; protocol?: string; nodePort?: number }[];
}

export function servicePortsOf(items: K8sObject[]): ServicePort[] {
  const out: ServicePort[] = [];
  for (const s of items) {
    const spec = (s.spec ?? {}) as Spec;
    if (!spec.clusterIP || spec.clusterIP === 'None' || spec.type === 'ExternalName') continue;
    const type = spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? spec.type : 'ClusterIP';
    const ingress = type === 'LoadBalancer'
      ? (((s.status as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined)?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => !!ip))
      : [];
    for (const p of spec.ports ?? []) {
      const proto = p.protocol === 'UDP' ? 'UDP' : p.protocol === 'SCTP' ? 'SCTP' : 'TCP';
      out.push({
        namespace: s.metadata.namespace ?? '', name: s.metadata.name, portName: p.name ?? '', clusterIP: spec.clusterIP,
        clusterIPs: spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP], port: p.port, proto, type,
        ...(type !== 'ClusterIP' && p.nodePort ? { nodePort: p.nodePort } : {}),
        ...(spec.externalIPs?.length ? { externalIPs: spec.externalIPs } : {}),
        ...(ingress.length ? { loadBalancerIPs: ingress } : {}),
        ...(type !== 'ClusterIP' ? { externalTrafficPolicy: spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster' } : {}),
      });
    }
  }
  return out;
}
