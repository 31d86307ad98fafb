// kube-system ConfigMaps that follow the cluster options: kube-proxy's config.conf (clusterCIDR per family,
// metricsBindAddress), CoreDNS's Corefile (`kubernetes <clusterDomain> in-addr.arpa ip6.arpa`, fixture
// kubeadm/configmap-coredns.json) and kubeadm's `kubelet-config` (key `kubelet`, a KubeletConfiguration written by
// cmd/kubeadm/app/phases/kubelet/config.go CreateConfigMap; the fields below are what kubeadm 1.28 writes by default).
import type { ClusterOptions } from '../cluster-options.js';

export function kubeProxyConfigConf(conf: string, o: ClusterOptions): string {
  let out = conf;
  if (o.ipFamilies === 'IPv6') out = out.replace('clusterCIDR: 10.244.0.0/16', 'clusterCIDR: fd00:10:244::/56');
  if (o.ipFamilies === 'DualStack') out = out.replace('clusterCIDR: 10.244.0.0/16', 'clusterCIDR: 10.244.0.0/16,fd00:10:244::/56');
  if (o.metricsBindAddress !== undefined) out = out.replace('metricsBindAddress: ""', `metricsBindAddress: ${JSON.stringify(o.metricsBindAddress)}`);
  return out;
}

export function corefile(text: string, domain: string): string {
  return text.replace('kubernetes cluster.local in-addr.arpa ip6.arpa', `kubernetes ${domain} in-addr.arpa ip6.arpa`);
}

/** The zone of a Corefile's kubernetes plugin (first name after `kubernetes`), or undefined. */
export function corefileZone(text: string | undefined): string | undefined {
  const m = /^\s*kubernetes\s+([^\s{]+)/m.exec(text ?? '');
  return m?.[1]?.replace(/\.$/, '');
}

export function kubeletConfigMap(domain: string, dnsIP: string): Record<string, unknown> {
  const kubelet = `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
  webhook:
    cacheAuthorizedTTL: 0s
    cacheUnauthorizedTTL: 0s
cgroupDriver: systemd
clusterDNS:
- ${dnsIP}
clusterDomain: ${domain}
containerRuntimeEndpoint: ""
cpuManagerReconcilePeriod: 0s
evictionPressureTransitionPeriod: 0s
fileCheckFrequency: 0s
healthzBindAddress: 127.0.0.1
healthzPort: 10248
httpCheckFrequency: 0s
imageMinimumGCAge: 0s
kind: KubeletConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
  verbosity: 0
memorySwap: {}
nodeStatusReportFrequency: 0s
nodeStatusUpdateFrequency: 0s
resolvConf: /run/systemd/resolve/resolv.conf
rotateCertificates: true
runtimeRequestTimeout: 0s
shutdownGracePeriod: 0s
shutdownGracePeriodCriticalPods: 0s
staticPodPath: /etc/kubernetes/manifests
streamingConnectionIdleTimeout: 0s
syncFrequency: 0s
volumeStatsAggPeriod: 0s
`;
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'kubelet-config', namespace: 'kube-system', annotations: { 'kubeadm.kubernetes.io/component-config.hash': 'sha256:0a5d3ec2dd0f3cc0c0bd4a8b4c2c6e0f1b0bf3dd9f6b8c4e1a7d2f9e3c5b6a7d' } },
    data: { kubelet },
  };
}
