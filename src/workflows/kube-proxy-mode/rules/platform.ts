// Managed platforms own kube-proxy's configuration: a ConfigMap edit there is reverted or does nothing (domain §2.3).
import type { NodeInfo } from '../../../k8s/cluster.js';
import type { Workload } from '../facts.js';
import type { Rule } from './rule.js';

interface Platform { name: string; how: string; matches(nodes: NodeInfo[], workloads: Workload[]): boolean }

const hasLabelPrefix = (nodes: NodeInfo[], prefix: string) =>
  nodes.some((n) => Object.keys(n.labels).some((k) => k.startsWith(prefix)));
const hasWorkload = (workloads: Workload[], name: string) => workloads.some((w) => w.name === name);

const PLATFORMS: Platform[] = [
  {
    name: 'EKS', how: 'change the kube-proxy add-on through the EKS API (aws eks update-addon … mode ipvs), then recycle the nodes',
    matches: (n, w) => hasLabelPrefix(n, 'eks.amazonaws.com/') || hasWorkload(w, 'aws-node'),
  },
  {
    name: 'GKE', how: 'GKE manages kube-proxy and has no IPVS setting',
    matches: (n, w) => hasLabelPrefix(n, 'cloud.google.com/gke-') || hasWorkload(w, 'anetd'),
  },
  {
    name: 'AKS', how: 'use the AKS kube-proxy configuration (az aks update --kube-proxy-config)',
    matches: (n) => hasLabelPrefix(n, 'kubernetes.azure.com/'),
  },
  {
    name: 'k3s', how: 'kube-proxy runs inside k3s: set kube-proxy-arg in /etc/rancher/k3s/config.yaml and restart k3s on each node',
    matches: (n) => n.some((x) => x.kubeletVersion.includes('+k3s')) || hasLabelPrefix(n, 'k3s.io/'),
  },
  {
    name: 'RKE2', how: 'kube-proxy is a static pod: set kube-proxy-arg in /etc/rancher/rke2/config.yaml and restart rke2 on each node',
    matches: (n) => n.some((x) => x.kubeletVersion.includes('+rke2')) || hasLabelPrefix(n, 'rke2.io/'),
  },
  {
    name: 'OpenShift', how: 'OpenShift uses OVN-Kubernetes, not kube-proxy',
    matches: (n) => hasLabelPrefix(n, 'node.openshift.io/'),
  },
];

export const managedPlatform: Rule = ({ facts }) => {
  const hit = PLATFORMS.find((p) => p.matches(facts.nodes, facts.workloads));
  if (!hit) return { id: 'managed-platform', verdict: 'pass', message: 'Self-managed cluster (no EKS, GKE, AKS, k3s, RKE2 or OpenShift markers).' };
  return {
    id: 'managed-platform',
    verdict: 'block',
    message: `This looks like ${hit.name}; the bot only edits kubeadm-style kube-proxy ConfigMaps. Instead: ${hit.how}.`,
  };
};
