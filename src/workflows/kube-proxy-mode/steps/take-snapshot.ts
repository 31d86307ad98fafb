// Step 4: store the ConfigMap text + resourceVersion and the DaemonSet's update strategy (the rollback source),
// and note what later steps need without re-listing per node: each node's kube-proxy pod and the Service
// addresses the verify Job checks.
import type { JsonObject } from '../../engine/define.js';
import { StepError } from '../../engine/errors.js';
import { readKubeProxySettings } from '../../../k8s/kube-proxy-config.js';
import { KUBE_PROXY_CONFIG_KEY, KUBE_PROXY_NAME, KUBE_PROXY_NAMESPACE, kubeProxyPodSelector } from '../facts.js';
import { verifyTargetsOf } from '../verify-targets.js';
import type { Step, SnapshotResult, PodRef } from './step-types.js';
import type { DaemonSetInfo } from '../../../k8s/cluster.js';

export function takeSnapshot(): Step {
  return {
    id: 'snapshot',
    retry: { max: 4, baseMs: 1_000 },
    async run(ctx) {
      const { cluster } = ctx.deps;
      const [cm, ds, services, workloads] = await Promise.all([
        cluster.getConfigMap(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME),
        cluster.getDaemonSet(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME),
        cluster.listServices(),
        cluster.listWorkloadNames(),
      ]);
      // kube-proxy's pods are found by the DaemonSet's own selector, not by kubeadm's label.
      const podSelector = kubeProxyPodSelector(ds);
      const pods = await cluster.listPods(KUBE_PROXY_NAMESPACE, podSelector);
      const text = cm.data[KUBE_PROXY_CONFIG_KEY];
      if (text === undefined) throw new StepError('drift', 'The kube-proxy ConfigMap lost its config.conf key since the plan.');
      const saved = ctx.saveSnapshot({
        configmapText: text,
        configmapResourceVersion: cm.resourceVersion,
        dsUpdateStrategy: originalStrategy(ds) as unknown as JsonObject,
      });
      const byNode: Record<string, PodRef> = {};
      for (const p of pods) if (p.nodeName && !p.deleting) byNode[p.nodeName] = { name: p.name, uid: p.uid };
      let metrics = '';
      try { metrics = readKubeProxySettings(text).metricsBindAddress; } catch { /* the plan's checks judged the text */ }
      const result: SnapshotResult = {
        pods: byNode,
        targets: verifyTargetsOf(services, ctx.plan.clusterDomain?.value ?? 'cluster.local', metrics),
        kubeProxyImage: ds.image,
        podSelector,
      };
      const calico = workloads.find((w) => w.name === 'calico-node' && w.kind === 'DaemonSet');
      if (calico) {
        const cpods: Record<string, PodRef> = {};
        for (const p of await cluster.listPods(calico.namespace, 'k8s-app=calico-node')) if (p.nodeName && !p.deleting) cpods[p.nodeName] = { name: p.name, uid: p.uid };
        result.calico = { namespace: calico.namespace, pods: cpods };
      }
      const kept = (saved.dsUpdateStrategy as { type?: string }).type;
      ctx.log(`Snapshot saved: config.conf at resourceVersion ${saved.configmapResourceVersion}, DaemonSet updateStrategy ${kept}${kept !== ds.updateStrategy.type ? ` (the ${ds.updateStrategy.type} now set was left by ipvs-bot run ${ds.writeMark?.run || '?'})` : ''}.`);
      return result as unknown as JsonObject;
    },
  };
}

/**
 * The update strategy to restore at the end. An OnDelete the bot itself set (an earlier run that stopped before its
 * finish step) is not the original: its mark keeps the strategy it replaced (k8s/write-mark.ts), issue #14 item 3.
 */
export function originalStrategy(ds: DaemonSetInfo): DaemonSetInfo['updateStrategy'] {
  const m = ds.writeMark;
  if (ds.updateStrategy.type === 'OnDelete' && m?.original && m.original.type !== 'OnDelete') {
    // Whichever run set it (this one too, if the snapshot is ever re-taken), OnDelete by the bot is not the original.
    return m.original;
  }
  return ds.updateStrategy;
}
