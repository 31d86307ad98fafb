// Step 4: store the ConfigMap text + resourceVersion and the DaemonSet's update strategy (the rollback source),
// and note what later steps need without re-listing per node: each node's kube-proxy pod and the Service
// addresses the verify Job checks.
import type { JsonObject } from '../../engine/define.js';
import { StepError } from '../../engine/errors.js';
import { KUBE_PROXY_CONFIG_KEY, KUBE_PROXY_NAME, KUBE_PROXY_NAMESPACE, KUBE_PROXY_SELECTOR, servicePortCount } from '../facts.js';
import type { Step, SnapshotResult, PodRef } from './step-types.js';

export function takeSnapshot(): Step {
  return {
    id: 'snapshot',
    retry: { max: 4, baseMs: 1_000 },
    async run(ctx) {
      const { cluster } = ctx.deps;
      const [cm, ds, pods, services, workloads] = await Promise.all([
        cluster.getConfigMap(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME),
        cluster.getDaemonSet(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME),
        cluster.listPods(KUBE_PROXY_NAMESPACE, KUBE_PROXY_SELECTOR),
        cluster.listServices(),
        cluster.listWorkloadNames(),
      ]);
      const text = cm.data[KUBE_PROXY_CONFIG_KEY];
      if (text === undefined) throw new StepError('drift', 'The kube-proxy ConfigMap lost its config.conf key since the plan.');
      const saved = ctx.saveSnapshot({
        configmapText: text,
        configmapResourceVersion: cm.resourceVersion,
        dsUpdateStrategy: ds.updateStrategy as unknown as JsonObject,
      });
      const byNode: Record<string, PodRef> = {};
      for (const p of pods) if (p.nodeName && !p.deleting) byNode[p.nodeName] = { name: p.name, uid: p.uid };
      const kubernetes = services.find((s) => s.namespace === 'default' && s.name === 'kubernetes');
      const dns = services.find((s) => s.namespace === 'kube-system' && s.name === 'kube-dns');
      const result: SnapshotResult = {
        pods: byNode,
        targets: {
          servicePorts: servicePortCount(services),
          ...(kubernetes?.clusterIP ? { tcpTarget: `${kubernetes.clusterIP}:${kubernetes.ports[0]?.port ?? 443}`, pingTarget: kubernetes.clusterIP } : {}),
          ...(dns?.clusterIP ? { dnsServer: dns.clusterIP } : {}),
          dnsName: 'kubernetes.default.svc.cluster.local',
        },
        kubeProxyImage: ds.image,
      };
      const calico = workloads.find((w) => w.name === 'calico-node' && w.kind === 'DaemonSet');
      if (calico) {
        const cpods: Record<string, PodRef> = {};
        for (const p of await cluster.listPods(calico.namespace, 'k8s-app=calico-node')) if (p.nodeName && !p.deleting) cpods[p.nodeName] = { name: p.name, uid: p.uid };
        result.calico = { namespace: calico.namespace, pods: cpods };
      }
      ctx.log(`Snapshot saved: config.conf at resourceVersion ${saved.configmapResourceVersion}, DaemonSet updateStrategy ${ds.updateStrategy.type}.`);
      return result as unknown as JsonObject;
    },
  };
}
