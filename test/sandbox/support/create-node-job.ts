// What K8sCluster.ensureJob does, straight on the sandbox's store (tests without HTTP): the Job's scripts ConfigMap
// first (immutable, once per namespace), then the Job.
import type { NodeJobSpec } from '../../../src/k8s/cluster.js';
import type { K8sObject, ObjectStore } from '../../../src/sandbox/object-store.js';

export function createScriptsConfigMap(store: ObjectStore, namespace: string, cm: NonNullable<NodeJobSpec['configMap']>): void {
  if (store.peek('configmaps', namespace, cm.name)) return;
  store.create('configmaps', {
    apiVersion: 'v1', kind: 'ConfigMap', immutable: true,
    metadata: { name: cm.name, namespace, labels: { 'app.kubernetes.io/managed-by': 'ipvs-bot' } }, data: { ...cm.data },
  } as K8sObject);
}

export function createNodeJob(store: ObjectStore, spec: NodeJobSpec, manifest: K8sObject = spec.manifest as K8sObject): K8sObject {
  if (spec.configMap) createScriptsConfigMap(store, spec.namespace, spec.configMap);
  return store.create('jobs', manifest);
}
