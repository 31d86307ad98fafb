// Derives the Kubernetes permissions an adapter's source needs from the @kubernetes/client-node calls it makes:
// typed API methods (`readNamespacedConfigMap(`, `listNodeForAllNamespaces(` …), watch paths (`'/api/v1/namespaces/…/pods'`)
// and the Log helper. Anything it cannot map is reported as `unknown`, so a new kind of call fails the test
// instead of slipping through.

export interface DerivedCall {
  /** Where in the source, for the failure message. */
  at: string;
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** 'namespaced' (some namespace) or 'cluster' (cluster-scoped kind or all namespaces). */
  scope: 'namespaced' | 'cluster';
  /** Calls that need no RBAC rule (version, self access reviews) are kept for completeness. */
  needsRule: boolean;
}

// client-node 1.x operation verb → RBAC verb
const VERBS: Record<string, string> = {
  read: 'get', list: 'list', create: 'create', patch: 'patch', replace: 'update', delete: 'delete', deleteCollection: 'deletecollection', connect: 'connect',
};

// Kind (as in the method name) → [group, plural, cluster-scoped]
const KINDS: Record<string, [string, string, boolean]> = {
  Namespace: ['', 'namespaces', true],
  Node: ['', 'nodes', true],
  ConfigMap: ['', 'configmaps', false],
  Secret: ['', 'secrets', false],
  Service: ['', 'services', false],
  Endpoints: ['', 'endpoints', false],
  Pod: ['', 'pods', false],
  Event: ['', 'events', false],
  ServiceAccount: ['', 'serviceaccounts', false],
  DaemonSet: ['apps', 'daemonsets', false],
  Deployment: ['apps', 'deployments', false],
  ReplicaSet: ['apps', 'replicasets', false],
  ControllerRevision: ['apps', 'controllerrevisions', false],
  Job: ['batch', 'jobs', false],
  EndpointSlice: ['discovery.k8s.io', 'endpointslices', false],
  Lease: ['coordination.k8s.io', 'leases', false],
};

// Subresource method suffixes → subresource name
const SUBRESOURCES: Record<string, string> = { Status: 'status', Log: 'log', Scale: 'scale', Eviction: 'eviction', Exec: 'exec', Attach: 'attach', Portforward: 'portforward', Proxy: 'proxy', Ephemeralcontainers: 'ephemeralcontainers' };

// Methods that need no RBAC rule: /version is public-info, SSAR is allowed to every authenticated user.
const NO_RULE = new Set(['getCode', 'createSelfSubjectAccessReview', 'createSelfSubjectRulesReview']);

const OP = /\.((?:read|list|create|patch|replace|delete|deleteCollection|connect)(?:Get|Post|Put|Patch|Delete)?(Namespaced)?([A-Z][A-Za-z]*?)(ForAllNamespaces)?)\s*\(/g;
const PATH = /[`'"](\/apis?\/[^`'"]*)[`'"]/g;

function lineOf(src: string, index: number): number {
  return src.slice(0, index).split('\n').length;
}

export function deriveCalls(src: string): { calls: DerivedCall[]; unknown: string[] } {
  const calls: DerivedCall[] = [];
  const unknown: string[] = [];
  // Strip comments so documentation mentioning a method does not count as a call.
  const code = src.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/.*$/gm, (m, p: string) => p + ' '.repeat(m.length - p.length));

  for (const m of code.matchAll(OP)) {
    const method = m[1]!;
    const at = `line ${lineOf(code, m.index)}: .${method}(`;
    if (NO_RULE.has(method)) { calls.push({ at, verb: 'create', group: 'authorization.k8s.io', resource: method, scope: 'cluster', needsRule: false }); continue; }
    const opVerb = /^(read|list|create|patch|replace|deleteCollection|delete|connect)/.exec(method)![1]!;
    let kind = m[3]!;
    let subresource: string | undefined;
    for (const [suffix, sub] of Object.entries(SUBRESOURCES)) {
      if (kind.endsWith(suffix) && KINDS[kind.slice(0, -suffix.length)]) { subresource = sub; kind = kind.slice(0, -suffix.length); break; }
    }
    const k = KINDS[kind];
    if (!k) { unknown.push(`${at} (unmapped kind ${kind})`); continue; }
    const [group, resource, clusterScoped] = k;
    const scope = clusterScoped || m[4] ? 'cluster' : m[2] ? 'namespaced' : 'cluster';
    calls.push({ at, verb: VERBS[opVerb]!, group, resource, ...(subresource ? { subresource } : {}), scope, needsRule: true });
  }

  // API paths: used with Watch (verb watch) — the only place client-node takes a raw path.
  for (const m of code.matchAll(PATH)) {
    const at = `line ${lineOf(code, m.index)}: ${m[1]}`;
    const parts = m[1]!.replace(/\$\{[^}]*\}/g, 'X').split('?')[0]!.split('/').filter(Boolean);
    // /api/v1/... or /apis/<group>/<version>/...
    const group = parts[0] === 'api' ? '' : parts[1] ?? '';
    const rest = parts.slice(parts[0] === 'api' ? 2 : 3);
    if (rest.length === 0) continue; // discovery / version paths
    const namespaced = rest[0] === 'namespaces' && rest.length >= 3;
    const resource = namespaced ? rest[2]! : rest[0]!;
    const subresource = namespaced ? rest[4] : rest[2];
    if (!Object.values(KINDS).some(([g, r]) => g === group && r === resource) && resource !== 'namespaces') {
      unknown.push(`${at} (unmapped path)`); continue;
    }
    calls.push({ at, verb: 'watch', group, resource, ...(subresource ? { subresource } : {}), scope: namespaced ? 'namespaced' : 'cluster', needsRule: true });
  }

  // The Log helper streams pods/log.
  for (const m of code.matchAll(/new\s+(?:k8s\.)?Log\s*\(/g)) {
    calls.push({ at: `line ${lineOf(code, m.index)}: new Log(`, verb: 'get', group: '', resource: 'pods', subresource: 'log', scope: 'namespaced', needsRule: true });
  }
  // Generic object access cannot be mapped from the source: refuse it so the mapping gets written.
  for (const m of code.matchAll(/KubernetesObjectApi|new\s+(?:k8s\.)?(?:Exec|Attach|PortForward|Cp)\s*\(/g)) {
    unknown.push(`line ${lineOf(code, m.index)}: ${m[0]} (cannot derive the permission)`);
  }
  return { calls, unknown };
}
