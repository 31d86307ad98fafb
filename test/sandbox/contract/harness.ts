// Test harness for the API server: a store seeded from the captured kubeadm objects, the server on a free port,
// a kubeconfig for kubectl and client-node, and kubectl run as a subprocess (execFile, never a shell).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ObjectStore, type K8sObject, type Resource, type StoreOptions } from '../../../src/sandbox/object-store.js';
import { createApiServer, type ApiServer, type PodLogSource, type TokenRules } from '../../../src/sandbox/api-server.js';
import { createFaults, type Faults } from '../../../src/sandbox/faults.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
export type Exchange = {
  request: { method: string; path: string; headers: Record<string, string>; body: unknown };
  response: { status: number; headers: Record<string, string | null>; body: unknown };
  note?: string;
};
export const fixture = (rel: string): Exchange => JSON.parse(readFileSync(join(FIXTURES, rel), 'utf8')) as Exchange;
export const fixtureObject = (rel: string): K8sObject => fixture(rel).response.body as K8sObject;

/** Strips what the store assigns itself so a captured object can be created again. */
export function fresh(o: K8sObject): K8sObject {
  const c = structuredClone(o);
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'deletionTimestamp', 'deletionGracePeriodSeconds']) delete c.metadata[k];
  return c;
}

/** kube-system as kubeadm left it (fixtures kubeadm/*) on the three captured nodes. */
export function seedFixtureCluster(store: ObjectStore): void {
  for (const ns of ['default', 'kube-system', 'kube-node-lease', 'kube-public']) {
    store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns }, status: { phase: 'Active' } });
  }
  for (const n of (fixture('nodes/list.json').response.body as { items: K8sObject[] }).items) store.create('nodes', fresh(n));
  const add = (r: Resource, rel: string) => store.create(r, fresh(fixtureObject(rel)));
  add('configmaps', 'kubeadm/configmap-kube-proxy.json');
  add('configmaps', 'kubeadm/configmap-coredns.json');
  add('serviceaccounts', 'kubeadm/serviceaccount-kube-proxy.json');
  add('services', 'kubeadm/service-kube-dns.json');
  add('deployments', 'kubeadm/deployment-coredns.json');
  add('endpoints', 'kubeadm/endpoints-kube-dns.json');
  const ds = add('daemonsets', 'kubeadm/daemonset-kube-proxy.json');
  const pods = (fixture('kubeadm/pods-kube-system-after-addons.json').response.body as { items: K8sObject[] }).items;
  for (const p of pods) {
    const c = fresh(p);
    if (c.metadata.labels?.['k8s-app'] === 'kube-proxy') c.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-proxy', uid: ds.metadata.uid!, controller: true, blockOwnerDeletion: true }];
    else delete c.metadata.ownerReferences;
    store.create('pods', c);
  }
}

export interface TestApi {
  store: ObjectStore; server: ApiServer; url: string; faults: Faults; token: string; restrictedToken: string;
  kubeconfig: string; kubectl(args: string[], token?: 'admin' | 'restricted'): Promise<{ code: number; stdout: string; stderr: string }>;
  fetch(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  close(): Promise<void>;
}

export const defaultLogs: PodLogSource = (ns, pod, container, o) => {
  const lines = [1, 2, 3].map((i) => `log line ${i} from ${ns}/${pod}/${container}${o.previous ? ' (previous)' : ''}`);
  return `${(o.tailLines !== undefined ? lines.slice(-o.tailLines || lines.length) : lines).join('\n')}\n`;
};

export async function startTestApi(o: { seed?: boolean; store?: StoreOptions; tokens?: Partial<TokenRules>; logs?: PodLogSource } = {}): Promise<TestApi> {
  const store = new ObjectStore(o.store);
  if (o.seed !== false) seedFixtureCluster(store);
  const token = 'admin-token-' + Math.random().toString(36).slice(2);
  const restrictedToken = 'restricted-token-' + Math.random().toString(36).slice(2);
  const faults = createFaults();
  const tokens: TokenRules = { admin: [token], restricted: { [restrictedToken]: [
    { apiGroups: [''], resources: ['configmaps', 'pods'], verbs: ['get', 'list', 'watch'], namespaces: ['kube-system'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'], namespaces: ['kube-system'] },
    { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['get', 'list', 'watch'], namespaces: ['kube-system'] },
  ] }, ...o.tokens };
  const server = await createApiServer(store, { tokens, faults, logs: o.logs ?? defaultLogs, version: { major: '1', minor: '28', gitVersion: 'v1.28.7' } });
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-api-test-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const kc = (user: string, tok: string) => `apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: ${server.url}
users:
- name: ${user}
  user:
    token: ${tok}
contexts:
- name: ${user}
  context: {cluster: sandbox, user: ${user}}
current-context: ${user}
`;
  writeFileSync(kubeconfig, kc('admin', token));
  writeFileSync(`${kubeconfig}-restricted`, kc('restricted', restrictedToken));
  return {
    store, server, url: server.url, faults, token, restrictedToken, kubeconfig,
    kubectl: (args, who = 'admin') => new Promise((resolve) => {
      const cache = mkdtempSync(join(dir, 'cache-'));
      execFile('/usr/bin/kubectl', [`--kubeconfig=${who === 'admin' ? kubeconfig : `${kubeconfig}-restricted`}`, `--cache-dir=${cache}`, '--request-timeout=20s', ...args],
        { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    }),
    fetch: (path, init = {}) => {
      const { token: tok, headers, ...rest } = init;
      return fetch(server.url + path, { ...rest, headers: { Authorization: `Bearer ${tok ?? token}`, ...(headers as Record<string, string> | undefined) } });
    },
    close: async () => { await server.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}
