// A kubeconfig for the sandbox: plain http on 127.0.0.1, a bearer-token user (kubectl and client-node both read it).
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigUser { name: string; token: string }

export function kubeconfigText(server: string, users: KubeconfigUser[], clusterName = 'sandbox'): string {
  const first = users[0];
  if (!first) throw new Error('a kubeconfig needs at least one user');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server } }],
    users: users.map((u) => ({ name: u.name, user: { token: u.token } })),
    contexts: users.map((u) => ({ name: u.name === first.name ? clusterName : `${clusterName}-${u.name}`, context: { cluster: clusterName, user: u.name, namespace: 'default' } })),
    'current-context': clusterName,
    preferences: {},
  });
}

/** Writes the kubeconfig (mode 0600: it holds tokens) to `path`, or to a fresh temp dir; returns the path. */
export function writeKubeconfig(text: string, path?: string): string {
  const file = path ?? join(mkdtempSync(join(tmpdir(), 'ipvs-sandbox-')), 'kubeconfig');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}
