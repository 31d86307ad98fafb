// startSandbox: the object store + the simulated kubeadm cluster (controllers, node hosts) + the HTTP API server,
// and a kubeconfig pointing at it. Used by tests, `npm run sandbox` and the demo.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { ObjectStore } from './object-store.js';
import { createApiServer } from './api-server.js';
import { createFaults, type Faults } from './faults.js';
import { SimCluster } from './cluster-sim.js';
import { minorOf, type ClusterOptionsInput } from './cluster-options.js';
import { kubeconfigText, writeKubeconfig } from './kubeconfig.js';
import type { AccessRule } from './api-auth.js';
import { startNodeEndpoints, type NodeEndpoints } from './node-endpoints.js';

export interface SandboxOptions extends ClusterOptionsInput {
  /** 0 (default) = any free port */
  port?: number;
  host?: string;
  /** Where to write the kubeconfig; default: a new temp dir (removed by stop()). */
  kubeconfigPath?: string;
  /** Admin bearer token; default random. */
  token?: string;
  /** A second token limited to read-only verbs (kubeconfig user/context "restricted"); false = none. Default random. */
  restrictedToken?: string | false;
  /** Rules of the restricted token; default: read-only on what the bot reads in kube-system. */
  restrictedRules?: AccessRule[];
  /** Serve every node's kube-proxy /metrics, /healthz and /proxyMode over HTTP (node-endpoints.ts). Default false. */
  nodeEndpoints?: boolean;
}

export interface Sandbox {
  url: string;
  kubeconfigPath: string;
  token: string;
  restrictedToken?: string;
  store: ObjectStore;
  /** Request-level faults (latency, 500s, timeouts, 409 storms), mutable at run time. */
  faults: Faults;
  /** Subscribes to every API request (method + path); returns the unsubscribe. */
  onRequest(fn: (r: { method: string; path: string }) => void): () => void;
  /** Cluster handle: nodes' host state (`cluster.host(name)`), fault toggles, options. */
  cluster: SimCluster;
  /** With nodeEndpoints: where GET /nodes/<node>/metrics (and /healthz, /proxyMode) answer. */
  nodeEndpointsUrl?: string;
  stop(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const { port, host, kubeconfigPath, token: tokenOpt, restrictedToken: restrictedOpt, restrictedRules, nodeEndpoints: withEndpoints, ...clusterOpts } = opts;
  const store = new ObjectStore();
  const cluster = new SimCluster(store, clusterOpts);
  cluster.start();
  const token = tokenOpt ?? randomBytes(24).toString('hex');
  const restrictedToken = restrictedOpt === false ? undefined : (restrictedOpt ?? randomBytes(24).toString('hex'));
  const faults = createFaults();
  const v = cluster.opts.kubernetesVersion;
  const listeners = new Set<(r: { method: string; path: string }) => void>();
  let server;
  try {
    server = await createApiServer(store, {
      port: port ?? 0, host: host ?? '127.0.0.1', faults, logs: cluster.logSource(),
      onRequest: (r) => { for (const l of listeners) l(r); },
      tokens: { admin: [token], ...(restrictedToken ? { restricted: { [restrictedToken]: restrictedRules ?? READONLY_RULES } } : {}) },
      version: { major: '1', minor: String(minorOf(v)), gitVersion: v },
    });
  } catch (e) {
    cluster.stop();
    throw e;
  }
  let endpoints: NodeEndpoints | undefined;
  if (withEndpoints) {
    try { endpoints = await startNodeEndpoints(cluster, host ?? '127.0.0.1'); } catch (e) { cluster.stop(); await server.close(); throw e; }
  }
  const users = [{ name: 'admin', token }, ...(restrictedToken ? [{ name: 'restricted', token: restrictedToken }] : [])];
  const path = writeKubeconfig(kubeconfigText(server.url, users), kubeconfigPath);
  let stopped = false;
  return {
    url: server.url, kubeconfigPath: path, token, ...(restrictedToken ? { restrictedToken } : {}), store, faults, cluster,
    ...(endpoints ? { nodeEndpointsUrl: endpoints.url } : {}),
    onRequest(fn) { listeners.add(fn); return () => { listeners.delete(fn); }; },
    async stop() {
      if (stopped) return;
      stopped = true;
      cluster.stop();
      await server.close();
      await endpoints?.close();
      if (!kubeconfigPath) rmSync(dirname(path), { recursive: true, force: true });
    },
  };
}

/** The restricted token may read what the bot reads, nothing else (like fixtures authz/ `ipvs-bot-readonly`). */
const READONLY_RULES: AccessRule[] = [
  { apiGroups: [''], resources: ['configmaps', 'pods'], verbs: ['get', 'list', 'watch'], namespaces: ['kube-system'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'], namespaces: ['kube-system'] },
  { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['get', 'list', 'watch'], namespaces: ['kube-system'] },
];

export { SimCluster } from './cluster-sim.js';
export type { ClusterOptionsInput } from './cluster-options.js';
