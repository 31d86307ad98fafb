// Loading a kubeconfig needs client-node's KubeConfig, so the code lives in k8s-cluster.ts (the only importer of
// @kubernetes/client-node); this module is its stable import path.
export { loadKubeConfig, type LoadKubeConfigOptions } from './k8s-cluster.js';
