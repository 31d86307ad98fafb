// The checks behind `ipvs-bot doctor`, against narrow ports so the command file only wires real modules in.
// Every check yields a row; a failed row always says how to fix it.
import type { ClusterConfig } from '../config.js';
import { K8sError } from '../k8s/errors.js';
import { KUBE_PROXY, KUBE_SYSTEM, describePermission, requiredPermissions, ruleFor, type RequiredPermission } from '../k8s/required-permissions.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckRow {
  /** 'config', 'db' or the cluster name. */
  scope: string;
  check: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/** What doctor needs from a cluster connection (K8sCluster provides it). */
export interface DoctorCluster {
  version(): Promise<{ gitVersion: string }>;
  getConfigMap(namespace: string, name: string): Promise<{ data: Record<string, string> }>;
  getDaemonSet(namespace: string, name: string): Promise<{ image: string; updateStrategy: { type: string } }>;
  /** SelfSubjectAccessReview: may the bot's identity do this? */
  allowed(p: RequiredPermission): Promise<boolean>;
}

function errText(e: unknown): string {
  if (e instanceof K8sError) return `${e.kind}${e.status ? ` (HTTP ${e.status})` : ''}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

const isForbidden = (e: unknown) => e instanceof K8sError && (e.kind === 'Forbidden' || e.kind === 'Unauthorized');

export async function checkCluster(c: ClusterConfig, connect: () => DoctorCluster): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  const row = (check: string, status: CheckStatus, detail: string, fix?: string) =>
    rows.push({ scope: c.name, check, status, detail, ...(fix ? { fix } : {}) });
  const where = c.kubeconfig ? `kubeconfig ${c.kubeconfig}${c.context ? ` (context ${c.context})` : ''}` : 'KUBECONFIG / in-cluster ServiceAccount';

  let k: DoctorCluster;
  try {
    k = connect();
  } catch (e) {
    row('connect', 'fail', errText(e), `check clusters[].kubeconfig / context for "${c.name}" (${where})`);
    return rows;
  }
  try {
    const v = await k.version();
    row('reachable', 'pass', `API server ${v.gitVersion}`);
  } catch (e) {
    const fix = e instanceof K8sError && e.kind === 'Unauthorized'
      ? `the credentials in ${where} were refused: renew the token or client certificate`
      : `cannot reach the API server from ${where}: check the server URL, network policy / firewall and the context`;
    row('reachable', 'fail', errText(e), fix);
    row('kube-proxy + permissions', 'skip', 'not checked: the cluster is unreachable');
    return rows;
  }

  try {
    const cm = await k.getConfigMap(KUBE_SYSTEM, KUBE_PROXY);
    const keys = Object.keys(cm.data);
    const mode = /^\s*mode:\s*["']?([a-z]*)["']?\s*$/m.exec(cm.data['config.conf'] ?? '')?.[1];
    if (!cm.data['config.conf']) {
      row('kube-proxy ConfigMap', 'fail', `kube-system/kube-proxy has no config.conf key (keys: ${keys.join(', ') || 'none'})`,
        'this is not a kubeadm-style kube-proxy; the bot only manages kubeadm-shaped clusters');
    } else {
      row('kube-proxy ConfigMap', 'pass', `kube-system/kube-proxy readable, mode: ${mode || '"" (iptables default)'}`);
    }
  } catch (e) {
    row('kube-proxy ConfigMap', 'fail', errText(e), isForbidden(e)
      ? ruleFor(requiredPermissions(c).find((p) => p.resource === 'configmaps' && p.verb === 'get')!)
      : 'kube-proxy is not configured by a kube-system/kube-proxy ConfigMap here (managed or non-kubeadm cluster?)');
  }
  try {
    const ds = await k.getDaemonSet(KUBE_SYSTEM, KUBE_PROXY);
    row('kube-proxy DaemonSet', 'pass', `kube-system/kube-proxy readable, ${ds.image}, updateStrategy ${ds.updateStrategy.type}`);
  } catch (e) {
    row('kube-proxy DaemonSet', 'fail', errText(e), isForbidden(e)
      ? ruleFor(requiredPermissions(c).find((p) => p.resource === 'daemonsets' && p.verb === 'get' && p.namespace)!)
      : 'no kube-system/kube-proxy DaemonSet: kube-proxy may be replaced (e.g. Cilium kube-proxy-free) or managed elsewhere');
  }

  // Independent reviews: ask them all at once.
  const perms = requiredPermissions(c);
  const results = await Promise.all(perms.map(async (p) => {
    try { return { p, ok: await k.allowed(p) }; } catch (e) { return { p, ok: false, error: errText(e) }; }
  }));
  for (const r of results) {
    const name = `permission: ${describePermission(r.p)}`;
    if (r.ok) row(name, 'pass', r.p.why);
    else if ('error' in r) row(name, 'fail', `SelfSubjectAccessReview failed: ${r.error}`, 'the bot needs to create selfsubjectaccessreviews (granted to every authenticated user by system:basic-user)');
    else row(name, 'fail', `denied — needed to ${r.p.why}`, `add ${ruleFor(r.p)} (see deploy/rbac.yaml)`);
  }
  return rows;
}

/** Fixed-width table: SCOPE  CHECK  RESULT  DETAIL, with a `fix:` line under each failure. */
export function formatTable(rows: CheckRow[]): string {
  const w1 = Math.max(5, ...rows.map((r) => r.scope.length));
  const w2 = Math.max(5, ...rows.map((r) => r.check.length));
  const label = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;
  const lines = [`${'SCOPE'.padEnd(w1)}  ${'CHECK'.padEnd(w2)}  RESULT  DETAIL`];
  for (const r of rows) {
    lines.push(`${r.scope.padEnd(w1)}  ${r.check.padEnd(w2)}  ${label[r.status].padEnd(6)}  ${r.detail}`);
    if (r.fix) lines.push(`${''.padEnd(w1)}  ${''.padEnd(w2)}  ${''.padEnd(6)}  fix: ${r.fix}`);
  }
  const failed = rows.filter((r) => r.status === 'fail').length;
  lines.push('', failed === 0 ? `All ${rows.length} checks passed.` : `${failed} of ${rows.length} checks failed.`);
  return lines.join('\n') + '\n';
}
