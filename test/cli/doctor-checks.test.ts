// The per-cluster checks and the table, against a small behaving fake of doctor's port. The end-to-end runs
// against the sandbox (real HTTP, real client-node, real SSAR) are in doctor.test.ts.
import { describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../src/config.js';
import { checkCluster, formatTable, type DoctorCluster } from '../../src/cli/doctor-checks.js';
import { K8sError } from '../../src/k8s/errors.js';
import { REQUIRED_PERMISSIONS, type RequiredPermission } from '../../src/k8s/required-permissions.js';

const cluster: ClusterConfig = {
  name: 'edge', production: false, approvers: { users: ['U1'], usergroups: [] }, requiredApprovals: 1,
  approvalTtlMs: 3_600_000, channels: [], jobNamespace: 'jobs-here', kubeconfig: '/etc/kc/edge.yaml',
};

const CONFIG_CONF = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: "ipvs"\n';

function fake(opts: { deny?: (p: RequiredPermission) => boolean; versionError?: K8sError; cm?: Record<string, string> | K8sError } = {}): DoctorCluster & { reviews: RequiredPermission[] } {
  const reviews: RequiredPermission[] = [];
  return {
    reviews,
    async version() { if (opts.versionError) throw opts.versionError; return { gitVersion: 'v1.28.7' }; },
    async getConfigMap() {
      if (opts.cm instanceof K8sError) throw opts.cm;
      return { data: opts.cm ?? { 'config.conf': CONFIG_CONF } };
    },
    async getDaemonSet() { return { image: 'registry.k8s.io/kube-proxy:v1.28.7', updateStrategy: { type: 'RollingUpdate' } }; },
    async allowed(p) { reviews.push(p); return !(opts.deny?.(p) ?? false); },
  };
}

describe('src/cli/doctor-checks', () => {
  it('passes everything on a healthy cluster and reviews every required permission in the cluster\'s Job namespace', async () => {
    const k = fake();
    const rows = await checkCluster(cluster, () => k);
    expect(rows.every((r) => r.status === 'pass')).toBe(true);
    expect(rows.find((r) => r.check === 'kube-proxy ConfigMap')?.detail).toContain('mode: ipvs');
    expect(k.reviews).toHaveLength(REQUIRED_PERMISSIONS.length);
    expect(k.reviews.some((p) => p.namespace === '<jobNamespace>' || p.resourceName === '<jobNamespace>')).toBe(false);
    expect(k.reviews.filter((p) => p.resource === 'jobs').every((p) => p.namespace === 'jobs-here')).toBe(true);
    expect(k.reviews.some((p) => p.resource === 'namespaces' && p.resourceName === 'jobs-here')).toBe(true);
  });

  it('names each denied permission with the rule that fixes it', async () => {
    const rows = await checkCluster(cluster, () => fake({ deny: (p) => p.verb === 'delete' && p.resource === 'pods' }));
    const failed = rows.filter((r) => r.status === 'fail');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.check).toBe('permission: delete pods in kube-system');
    expect(failed[0]!.fix).toContain('Role in namespace kube-system');
    expect(failed[0]!.fix).toContain('resources: ["pods"]');
    expect(failed[0]!.fix).toContain('verbs: ["delete"]');
  });

  it('stops after an unreachable API server and says where the credentials came from', async () => {
    const k = fake({ versionError: new K8sError('cannot reach the API server (ECONNREFUSED)', { kind: 'Transient', status: 0, retryable: true }) });
    const rows = await checkCluster(cluster, () => k);
    expect(rows.map((r) => [r.check, r.status])).toEqual([['reachable', 'fail'], ['kube-proxy + permissions', 'skip']]);
    expect(rows[0]!.fix).toContain('/etc/kc/edge.yaml');
    expect(k.reviews).toHaveLength(0);
  });

  it('reports a missing kube-proxy ConfigMap as an unsupported cluster, and a forbidden one with its rule', async () => {
    const missing = await checkCluster(cluster, () => fake({ cm: new K8sError('configmaps "kube-proxy" not found', { kind: 'NotFound', status: 404, retryable: false }) }));
    expect(missing.find((r) => r.check === 'kube-proxy ConfigMap')).toMatchObject({ status: 'fail', fix: expect.stringContaining('non-kubeadm') });
    const forbidden = await checkCluster(cluster, () => fake({ cm: new K8sError('forbidden', { kind: 'Forbidden', status: 403, retryable: false }) }));
    expect(forbidden.find((r) => r.check === 'kube-proxy ConfigMap')?.fix).toContain('resourceNames: ["kube-proxy"], verbs: ["get"]');
    const noKey = await checkCluster(cluster, () => fake({ cm: { 'kubeconfig.conf': 'x' } }));
    expect(noKey.find((r) => r.check === 'kube-proxy ConfigMap')).toMatchObject({ status: 'fail', detail: expect.stringContaining('no config.conf') });
  });

  it('a connect error (bad kubeconfig) is one failed row, not a crash', async () => {
    const rows = await checkCluster(cluster, () => { throw new K8sError('kubeconfig /etc/kc/edge.yaml could not be read or parsed (ENOENT)', { kind: 'Invalid', status: 0, retryable: false }); });
    expect(rows).toEqual([expect.objectContaining({ check: 'connect', status: 'fail', detail: expect.stringContaining('ENOENT') })]);
  });

  it('formats an aligned table with a fix line under each failure and a summary', () => {
    const text = formatTable([
      { scope: 'config', check: 'ipvs-bot.yaml', status: 'pass', detail: '1 cluster(s)' },
      { scope: 'edge', check: 'permission: patch configmaps "kube-proxy" in kube-system', status: 'fail', detail: 'denied', fix: 'add the rule' },
    ]);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SCOPE\s+CHECK\s+RESULT\s+DETAIL$/);
    expect(lines[2]).toMatch(/^edge\s+permission: patch configmaps "kube-proxy" in kube-system\s+FAIL\s+denied$/);
    expect(lines[3]).toMatch(/^\s+fix: add the rule$/);
    expect(lines[1]!.indexOf('PASS')).toBe(lines[2]!.indexOf('FAIL'));
    expect(lines.at(-1)).toBe('1 of 2 checks failed.');
  });
});
