// Evaluates RBAC rules from manifests the way the Kubernetes RBAC authorizer does, for the subset we ship:
// ClusterRole + ClusterRoleBinding (all namespaces), Role + RoleBinding (its namespace).
import type { RequiredPermission } from '../../src/k8s/required-permissions.js';

export interface Rule { apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs?: string[]; nonResourceURLs?: string[] }
export interface Grant { scope: 'cluster' | string; role: string; rule: Rule }

type Doc = { kind?: string; metadata?: { name?: string; namespace?: string }; rules?: Rule[]; roleRef?: { kind: string; name: string }; subjects?: { kind: string; name: string; namespace?: string }[] };

/** Rules reachable by the ServiceAccount `ns/name`, with the namespace each applies in. */
export function grantsFor(docs: Doc[], sa: { namespace: string; name: string }): Grant[] {
  const roles = new Map<string, Doc>();
  for (const d of docs) {
    if (d.kind === 'ClusterRole') roles.set(`ClusterRole/${d.metadata?.name}`, d);
    if (d.kind === 'Role') roles.set(`Role/${d.metadata?.namespace}/${d.metadata?.name}`, d);
  }
  const grants: Grant[] = [];
  for (const b of docs.filter((d) => d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding')) {
    const bound = b.subjects?.some((s) => s.kind === 'ServiceAccount' && s.name === sa.name && s.namespace === sa.namespace);
    if (!bound || !b.roleRef) continue;
    const scope = b.kind === 'ClusterRoleBinding' ? 'cluster' : b.metadata?.namespace ?? '';
    const key = b.roleRef.kind === 'ClusterRole' ? `ClusterRole/${b.roleRef.name}` : `Role/${b.metadata?.namespace}/${b.roleRef.name}`;
    const role = roles.get(key);
    if (!role) throw new Error(`${b.kind} ${b.metadata?.name} refers to missing ${key}`);
    for (const rule of role.rules ?? []) grants.push({ scope, role: key, rule });
  }
  return grants;
}

const resourceOf = (p: RequiredPermission) => (p.subresource ? `${p.resource}/${p.subresource}` : p.resource);

/** Does the grant allow this permission? A permission without a namespace means cluster-wide / all namespaces. */
export function allows(g: Grant, p: RequiredPermission): boolean {
  const r = g.rule;
  if (p.namespace === undefined ? g.scope !== 'cluster' : g.scope !== 'cluster' && g.scope !== p.namespace) return false;
  const has = (list: string[] | undefined, v: string) => (list ?? []).includes(v) || (list ?? []).includes('*');
  if (!has(r.apiGroups, p.group) || !has(r.resources, resourceOf(p)) || !has(r.verbs, p.verb)) return false;
  if (r.resourceNames && r.resourceNames.length > 0) return p.resourceName !== undefined && r.resourceNames.includes(p.resourceName);
  return true;
}

/** Each (verb, group, resource, name) a grant allows that no required permission needs, as readable strings. */
export function excess(g: Grant, required: RequiredPermission[]): string[] {
  const out: string[] = [];
  const r = g.rule;
  if (r.nonResourceURLs?.length) out.push(`${g.role}: nonResourceURLs ${r.nonResourceURLs.join(',')}`);
  for (const list of [r.apiGroups, r.resources, r.verbs, r.resourceNames]) {
    if (list?.includes('*')) out.push(`${g.role}: wildcard in ${JSON.stringify(r)}`);
  }
  for (const group of r.apiGroups ?? []) {
    for (const res of r.resources ?? []) {
      const [resource = '', subresource] = res.split('/');
      for (const verb of r.verbs ?? []) {
        const names: (string | undefined)[] = r.resourceNames?.length ? r.resourceNames : [undefined];
        for (const name of names) {
          const needed = required.some((p) =>
            p.verb === verb && p.group === group && p.resource === resource && p.subresource === subresource
            && (g.scope === 'cluster' ? p.namespace === undefined : p.namespace === g.scope)
            && p.resourceName === name);
          if (!needed) out.push(`${g.role} (${g.scope}): ${verb} ${group || 'core'}/${res}${name ? ` "${name}"` : ''}`);
        }
      }
    }
  }
  return out;
}
