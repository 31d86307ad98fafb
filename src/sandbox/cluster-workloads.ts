// Extra DaemonSets the bot's plan detects (CNI, MetalLB, kube-vip): shaped like their upstream manifests where the
// detection looks (namespace, name, labels, image), minimal elsewhere.
import type { ExtraWorkload } from './cluster-options.js';
import type { Obj } from './controllers/context.js';

interface Shape { namespace: string; name: string; labels: Record<string, string>; image: string; container: string }

const SHAPES: Record<ExtraWorkload, Shape> = {
  'calico-node': { namespace: 'kube-system', name: 'calico-node', labels: { 'k8s-app': 'calico-node' }, image: 'docker.io/calico/node:v3.27.3', container: 'calico-node' },
  'metallb-speaker': { namespace: 'metallb-system', name: 'speaker', labels: { app: 'metallb', component: 'speaker' }, image: 'quay.io/metallb/speaker:v0.14.5', container: 'speaker' },
  'kube-vip': { namespace: 'kube-system', name: 'kube-vip-ds', labels: { 'app.kubernetes.io/name': 'kube-vip-ds' }, image: 'ghcr.io/kube-vip/kube-vip:v0.8.0', container: 'kube-vip' },
  flannel: { namespace: 'kube-flannel', name: 'kube-flannel-ds', labels: { app: 'flannel', 'k8s-app': 'flannel' }, image: 'docker.io/flannel/flannel:v0.25.1', container: 'kube-flannel' },
  cilium: { namespace: 'kube-system', name: 'cilium', labels: { 'k8s-app': 'cilium' }, image: 'quay.io/cilium/cilium:v1.15.5', container: 'cilium-agent' },
};

export function extraWorkloadNamespaces(list: ExtraWorkload[]): string[] {
  return [...new Set(list.map((w) => SHAPES[w].namespace))];
}

export function extraWorkloadDaemonSets(list: ExtraWorkload[]): Obj[] {
  return [...new Set(list)].map((w) => {
    const s = SHAPES[w];
    return {
      apiVersion: 'apps/v1', kind: 'DaemonSet',
      metadata: { name: s.name, namespace: s.namespace, labels: s.labels, annotations: { 'deprecated.daemonset.template.generation': '1' } },
      spec: {
        selector: { matchLabels: s.labels },
        template: {
          metadata: { creationTimestamp: null, labels: s.labels },
          spec: {
            containers: [{ name: s.container, image: s.image, resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent', securityContext: { privileged: true } }],
            restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', hostNetwork: true,
            nodeSelector: { 'kubernetes.io/os': 'linux' }, serviceAccountName: s.name, serviceAccount: s.name, securityContext: {},
            schedulerName: 'default-scheduler', tolerations: [{ operator: 'Exists' }], priorityClassName: 'system-node-critical',
          },
        },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        revisionHistoryLimit: 10,
      },
    } as Obj;
  });
}
