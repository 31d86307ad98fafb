// The API surface the sandbox serves: one row per resource, from which discovery, routing and RBAC naming derive.
import type { Resource } from './object-store.js';

export interface ResourceInfo {
  resource: Resource; group: string; version: string; kind: string; singular: string; namespaced: boolean;
  shortNames?: string[]; categories?: string[]; subresources: ('status' | 'log')[];
}

const ALL = ['all'];
export const RESOURCE_INFO: readonly ResourceInfo[] = [
  { resource: 'configmaps', group: '', version: 'v1', kind: 'ConfigMap', singular: 'configmap', namespaced: true, shortNames: ['cm'], subresources: [] },
  { resource: 'endpoints', group: '', version: 'v1', kind: 'Endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'], subresources: [] },
  { resource: 'events', group: '', version: 'v1', kind: 'Event', singular: 'event', namespaced: true, shortNames: ['ev'], subresources: [] },
  { resource: 'namespaces', group: '', version: 'v1', kind: 'Namespace', singular: 'namespace', namespaced: false, shortNames: ['ns'], subresources: ['status'] },
  { resource: 'nodes', group: '', version: 'v1', kind: 'Node', singular: 'node', namespaced: false, shortNames: ['no'], subresources: ['status'] },
  { resource: 'pods', group: '', version: 'v1', kind: 'Pod', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ALL, subresources: ['log', 'status'] },
  { resource: 'serviceaccounts', group: '', version: 'v1', kind: 'ServiceAccount', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'], subresources: [] },
  { resource: 'services', group: '', version: 'v1', kind: 'Service', singular: 'service', namespaced: true, shortNames: ['svc'], categories: ALL, subresources: ['status'] },
  { resource: 'controllerrevisions', group: 'apps', version: 'v1', kind: 'ControllerRevision', singular: 'controllerrevision', namespaced: true, subresources: [] },
  { resource: 'daemonsets', group: 'apps', version: 'v1', kind: 'DaemonSet', singular: 'daemonset', namespaced: true, shortNames: ['ds'], categories: ALL, subresources: ['status'] },
  { resource: 'deployments', group: 'apps', version: 'v1', kind: 'Deployment', singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: ALL, subresources: ['status'] },
  { resource: 'replicasets', group: 'apps', version: 'v1', kind: 'ReplicaSet', singular: 'replicaset', namespaced: true, shortNames: ['rs'], categories: ALL, subresources: ['status'] },
  { resource: 'jobs', group: 'batch', version: 'v1', kind: 'Job', singular: 'job', namespaced: true, categories: ALL, subresources: ['status'] },
  { resource: 'endpointslices', group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', singular: 'endpointslice', namespaced: true, subresources: [] },
  { resource: 'leases', group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', singular: 'lease', namespaced: true, subresources: [] },
];

export const GROUPS = ['apps', 'batch', 'discovery.k8s.io', 'coordination.k8s.io', 'authorization.k8s.io'] as const;

const byGvr = new Map(RESOURCE_INFO.map((i) => [`${i.group}/${i.version}/${i.resource}`, i]));
export const infoFor = (group: string, version: string, resource: string): ResourceInfo | undefined =>
  byGvr.get(`${group}/${version}/${resource}`);
const byResource = new Map(RESOURCE_INFO.map((i) => [i.resource, i]));
export const infoOf = (r: Resource): ResourceInfo => byResource.get(r)!;
export const apiVersionOf = (i: ResourceInfo) => (i.group ? `${i.group}/${i.version}` : i.version);
/** "DaemonSet.apps" style qualified kind used in validation messages. */
export const qualifiedKind = (i: ResourceInfo) => (i.group ? `${i.kind}.${i.group}` : i.kind);
