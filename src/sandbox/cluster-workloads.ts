// Extra DaemonSets the bot's plan detects (CNI, MetalLB, kube-vip): shaped like their upstream manifests where the
// detection looks (namespace, name, labels, image), minimal elsewhere.
import type { ExtraWorkload } from './cluster-options.js';
import type { Obj } from './controllers/context.js';

interface Shape { namespace: string; name: string; labels: Record<string, string>; image: string; container: string }

const SHAPES: Record<Exclude<ExtraWorkload, 'kube-vip-static-pod'>, Shape> = {
  'calico-node': { namespace: 'kube-system', name: 'calico-node', labels: { 'k8s-app': 'calico-node' }, image: 'docker.io/calico/node:v3.27.3', container: 'calico-node' },
  'metallb-speaker': { namespace: 'metallb-system', name: 'speaker', labels: { app: 'metallb', component: 'speaker' }, image: 'quay.io/metallb/speaker:v0.14.5', container: 'speaker' },
  'kube-vip': { namespace: 'kube-system', name: 'kube-vip-ds', labels: { 'app.kubernetes.io/name': 'kube-vip-ds' }, image: 'ghcr.io/kube-vip/kube-vip:v0.8.0', container: 'kube-vip' },
  flannel: { namespace: 'kube-flannel', name: 'kube-flannel-ds', labels: { app: 'flannel', 'k8s-app': 'flannel' }, image: 'docker.io/flannel/flannel:v0.25.1', container: 'kube-flannel' },
  cilium: { namespace: 'kube-system', name: 'cilium', labels: { 'k8s-app': 'cilium' }, image: 'quay.io/cilium/cilium:v1.15.5', container: 'cilium-agent' },
};

const daemonSetKinds = (list: ExtraWorkload[]) => [...new Set(list)].filter((w): w is Exclude<ExtraWorkload, 'kube-vip-static-pod'> => w !== 'kube-vip-static-pod');

export function extraWorkloadNamespaces(list: ExtraWorkload[]): string[] {
  return [...new Set(daemonSetKinds(list).map((w) => SHAPES[w].namespace))];
}

/**
 * kube-vip as a static pod (kube-vip docs "Static Pods": `kube-vip manifest pod` into /etc/kubernetes/manifests): the
 * kubelet's mirror pod `kube-vip-<node>`, annotated kubernetes.io/config.mirror and owned by the Node
 * (pkg/kubelet/pod/mirror_client.go CreateMirrorPod).
 */
export function kubeVipMirrorPod(node: string, nodeUid: string, hash: string, seen: string): Obj {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: `kube-vip-${node}`, namespace: 'kube-system',
      annotations: { 'kubernetes.io/config.hash': hash, 'kubernetes.io/config.mirror': hash, 'kubernetes.io/config.seen': seen, 'kubernetes.io/config.source': 'file' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node, uid: nodeUid, controller: true }],
    },
    spec: {
      containers: [{
        name: 'kube-vip', image: 'ghcr.io/kube-vip/kube-vip:v0.8.0', imagePullPolicy: 'IfNotPresent', args: ['manager'],
        env: [{ name: 'vip_arp', value: 'true' }, { name: 'port', value: '6443' }, { name: 'cp_enable', value: 'true' }, { name: 'svc_enable', value: 'true' }, { name: 'address', value: '10.0.0.100' }],
        securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
        volumeMounts: [{ name: 'kubeconfig', mountPath: '/etc/kubernetes/admin.conf' }],
        resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
      }],
      hostNetwork: true, nodeName: node, restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler',
      securityContext: {}, terminationGracePeriodSeconds: 30, enableServiceLinks: true, priority: 0, preemptionPolicy: 'PreemptLowerPriority',
      tolerations: [{ operator: 'Exists', effect: 'NoExecute' }],
      volumes: [{ name: 'kubeconfig', hostPath: { path: '/etc/kubernetes/admin.conf', type: '' } }],
    },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  } as Obj;
}

export function extraWorkloadDaemonSets(list: ExtraWorkload[]): Obj[] {
  return daemonSetKinds(list).map((w) => {
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
