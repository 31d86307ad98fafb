// Discovery documents (fixtures discovery/*): legacy APIVersions/APIGroupList/APIResourceList and aggregated
// discovery v2beta1, chosen by the Accept header the way a 1.28 server does.
import { GROUPS, RESOURCE_INFO, type ResourceInfo } from './api-resources.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const verbsOf = (i: ResourceInfo) => (i.resource === 'namespaces' ? VERBS.filter((v) => v !== 'deletecollection') : VERBS);
const SUB_VERBS = { status: ['get', 'patch', 'update'], log: ['get'] } as const;
export const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

const REVIEWS = [
  { name: 'localsubjectaccessreviews', kind: 'LocalSubjectAccessReview', namespaced: true },
  { name: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false },
  { name: 'selfsubjectrulesreviews', kind: 'SelfSubjectRulesReview', namespaced: false },
  { name: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false },
];

const inGroup = (g: string) => RESOURCE_INFO.filter((i) => i.group === g);
const opt = (i: ResourceInfo) => ({ ...(i.shortNames ? { shortNames: i.shortNames } : {}), ...(i.categories ? { categories: i.categories } : {}) });

export function resourceList(group: string): Record<string, unknown> {
  const resources: Record<string, unknown>[] = [];
  if (group === 'authorization.k8s.io') {
    for (const r of REVIEWS) resources.push({ name: r.name, singularName: r.name.slice(0, -1), namespaced: r.namespaced, kind: r.kind, verbs: ['create'] });
  }
  for (const i of inGroup(group)) {
    resources.push({ name: i.resource, singularName: i.singular, namespaced: i.namespaced, kind: i.kind, verbs: verbsOf(i), ...opt(i) });
    for (const s of i.subresources) resources.push({ name: `${i.resource}/${s}`, singularName: '', namespaced: i.namespaced, kind: i.kind, verbs: SUB_VERBS[s] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/v1` : 'v1', resources };
}

function aggregatedGroup(group: string): Record<string, unknown> {
  const resources: Record<string, unknown>[] = [];
  const kind = (k: string) => ({ group: '', version: '', kind: k });
  if (group === 'authorization.k8s.io') {
    for (const r of REVIEWS) resources.push({ resource: r.name, responseKind: kind(r.kind), scope: r.namespaced ? 'Namespaced' : 'Cluster', singularResource: r.name.slice(0, -1), verbs: ['create'] });
  }
  for (const i of inGroup(group)) {
    resources.push({
      resource: i.resource, responseKind: kind(i.kind), scope: i.namespaced ? 'Namespaced' : 'Cluster', singularResource: i.singular,
      verbs: verbsOf(i), ...opt(i),
      ...(i.subresources.length ? { subresources: i.subresources.map((s) => ({ subresource: s, responseKind: kind(i.kind), verbs: SUB_VERBS[s] })) } : {}),
    });
  }
  return { metadata: { ...(group ? { name: group } : {}), creationTimestamp: null }, versions: [{ version: 'v1', resources, freshness: 'Current' }] };
}

export const aggregatedCore = () => ({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2beta1', metadata: {}, items: [aggregatedGroup('')] });
export const aggregatedApis = () => ({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2beta1', metadata: {}, items: GROUPS.map(aggregatedGroup) });

const gv = (g: string) => ({ groupVersion: `${g}/v1`, version: 'v1' });
export const apiGroup = (g: string) => ({ kind: 'APIGroup', apiVersion: 'v1', name: g, versions: [gv(g)], preferredVersion: gv(g) });
export const apiVersions = (addr: string) => ({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: addr }] });
export const apiGroupList = () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: GROUPS.map((g) => ({ name: g, versions: [gv(g)], preferredVersion: gv(g) })) });
export const isKnownGroup = (g: string) => (GROUPS as readonly string[]).includes(g);

/** Which discovery form an Accept header asks for: aggregated v2beta1, legacy JSON, or nothing acceptable (406). */
export function discoveryForm(accept: string | undefined): 'aggregated' | 'legacy' | 'none' {
  if (!accept) return 'legacy';
  const types = accept.split(',').map((t) => t.trim().replace(/\s+/g, ''));
  for (const t of types) {
    if (t.includes('as=APIGroupDiscoveryList')) { if (t.includes('v=v2beta1')) return 'aggregated'; continue; }
    if (t.startsWith('application/json') || t.startsWith('*/*') || t.startsWith('application/*') || t.startsWith('application/yaml')) return 'legacy';
  }
  return 'none';
}
