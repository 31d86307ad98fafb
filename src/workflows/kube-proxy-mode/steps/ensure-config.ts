// Idempotent ConfigMap / DaemonSet writes shared by switch, its compensation and the rollback workflow.
import type { Cluster, DaemonSetInfo } from '../../../k8s/cluster.js';
import { K8sError } from '../../../k8s/errors.js';
import type { WriteBy } from '../../../k8s/write-mark.js';
import { StepError } from '../../engine/errors.js';
import { KUBE_PROXY_CONFIG_KEY, KUBE_PROXY_NAME, KUBE_PROXY_NAMESPACE } from '../facts.js';

/**
 * Makes config.conf equal `wanted`. With `expectRv`, only from that resourceVersion (the approved one): a
 * ConfigMap edited in between is drift, never overwritten. Without it (restores) the current version is used,
 * re-read once on a 409.
 */
export async function ensureConfigText(cluster: Cluster, wanted: string, expectRv?: string, by?: WriteBy): Promise<{ changed: boolean; resourceVersion: string }> {
  for (let attempt = 0; ; attempt++) {
    const cm = await cluster.getConfigMap(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME);
    if (cm.data[KUBE_PROXY_CONFIG_KEY] === wanted) return { changed: false, resourceVersion: cm.resourceVersion };
    if (expectRv !== undefined && cm.resourceVersion !== expectRv) {
      throw new StepError('drift', `The kube-proxy ConfigMap was changed after the plan (resourceVersion ${expectRv} → ${cm.resourceVersion}); nothing was switched. Plan again.`);
    }
    try {
      const out = await cluster.patchConfigMapData(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME, KUBE_PROXY_CONFIG_KEY, wanted, cm.resourceVersion, by);
      return { changed: true, resourceVersion: out.resourceVersion };
    } catch (e) {
      if (e instanceof K8sError && e.kind === 'Conflict') {
        if (expectRv !== undefined) {
          throw new StepError('drift', 'The kube-proxy ConfigMap was changed while the bot was switching it; nothing was switched. Plan again.', { cause: e });
        }
        if (attempt < 3) continue;
      }
      throw e;
    }
  }
}

export async function ensureUpdateStrategy(cluster: Cluster, wanted: DaemonSetInfo['updateStrategy'], by?: WriteBy): Promise<boolean> {
  const ds = await cluster.getDaemonSet(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME);
  if (ds.updateStrategy.type === wanted.type && (wanted.type === 'OnDelete' || JSON.stringify(ds.updateStrategy.rollingUpdate ?? {}) === JSON.stringify(wanted.rollingUpdate ?? {}))) {
    return false;
  }
  await cluster.setDaemonSetUpdateStrategy(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME, wanted, by);
  return true;
}
