import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  KubeProxyConfigError, diffConfig, readKubeProxySettings, readProxyMode, setProxyMode,
} from '../../src/k8s/kube-proxy-config.js';

const fixture = (name: string) => new URL(`../fixtures/k8s/${name}`, import.meta.url);
const kubeadmCm = JSON.parse(readFileSync(fixture('configmap-kube-proxy.json'), 'utf8')) as { data: Record<string, string> };
const kubeadm = kubeadmCm.data['config.conf']!;
const commented = readFileSync(fixture('config-commented.conf'), 'utf8');

function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b.length).toBeGreaterThanOrEqual(a.length);
  return { removed: a.filter((l) => !b.includes(l)), added: b.filter((l) => !a.includes(l)) };
}

describe('src/k8s/kube-proxy-config', () => {
  it('reads the mode of the real kubeadm v1.28 config.conf as "" (iptables on Linux)', () => {
    expect(readProxyMode(kubeadm)).toBe('');
    expect(readKubeProxySettings(kubeadm)).toEqual({ mode: '', scheduler: '', strictARP: false, metricsBindAddress: '', healthzBindAddress: '' });
  });

  it('switches the kubeadm config.conf to ipvs changing only mode, scheduler and strictARP lines', () => {
    const after = setProxyMode(kubeadm, { mode: 'ipvs', scheduler: 'rr', strictARP: true });
    expect(readKubeProxySettings(after)).toMatchObject({ mode: 'ipvs', scheduler: 'rr', strictARP: true });
    expect(after.split('\n').length).toBe(kubeadm.split('\n').length);
    expect(changedLines(kubeadm, after)).toEqual({
      removed: ['  scheduler: ""', '  strictARP: false', 'mode: ""'],
      added: ['  scheduler: "rr"', '  strictARP: true', 'mode: "ipvs"'],
    });
  });

  it('round-trips back to the original bytes when restoring the original values', () => {
    const after = setProxyMode(kubeadm, { mode: 'ipvs', scheduler: 'wrr', strictARP: true });
    expect(setProxyMode(after, { mode: '', scheduler: '', strictARP: false })).toBe(kubeadm);
    const c = setProxyMode(commented, { mode: 'ipvs', scheduler: 'sh', strictARP: true });
    expect(setProxyMode(c, { mode: '', scheduler: '', strictARP: false })).toBe(commented);
  });

  it('keeps comments, quoting style, unknown fields and ordering of a hand-edited config', () => {
    const after = setProxyMode(commented, { mode: 'ipvs', scheduler: 'lc', strictARP: true });
    expect(changedLines(commented, after)).toEqual({
      removed: ["  scheduler: ''", '  strictARP: false', 'mode: ""  # iptables on Linux'],
      added: ["  scheduler: 'lc'", '  strictARP: true', 'mode: "ipvs"  # iptables on Linux'],
    });
    expect(after).toContain('    - 10.0.0.0/24   # keepalived VIPs');
    expect(after).toContain('  nested: {a: 1, b: [x, y]}');
  });

  it('leaves scheduler and strictARP untouched when not asked', () => {
    const after = setProxyMode(commented, { mode: 'nftables' });
    expect(changedLines(commented, after).added).toEqual(['mode: "nftables"  # iptables on Linux']);
  });

  it('adds missing mode and ipvs fields at the indentation of their section', () => {
    const minimal = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: 10.244.0.0/16\n';
    const after = setProxyMode(minimal, { mode: 'ipvs', scheduler: 'rr', strictARP: true });
    expect(readKubeProxySettings(after)).toMatchObject({ mode: 'ipvs', scheduler: 'rr', strictARP: true });
    expect(after.endsWith('clusterCIDR: 10.244.0.0/16\n')).toBe(true);
    const noSched = 'kind: KubeProxyConfiguration\nipvs:\n    syncPeriod: 30s\nmode: iptables\n';
    const after2 = setProxyMode(noSched, { mode: 'ipvs', scheduler: 'wrr' });
    expect(after2).toBe('kind: KubeProxyConfiguration\nipvs:\n    scheduler: wrr\n    syncPeriod: 30s\nmode: ipvs\n');
  });

  it('handles a flow-style ipvs section by re-emitting the document', () => {
    const flow = 'kind: KubeProxyConfiguration\nipvs: {scheduler: rr}\nmode: ""\n';
    const after = setProxyMode(flow, { mode: 'ipvs', scheduler: 'sh', strictARP: true });
    expect(readKubeProxySettings(after)).toMatchObject({ mode: 'ipvs', scheduler: 'sh', strictARP: true });
  });

  it('rejects invalid YAML, a different kind, an unknown mode and a bad scheduler with a clear error', () => {
    expect(() => setProxyMode('kind: [', { mode: 'ipvs' })).toThrow(KubeProxyConfigError);
    expect(() => readProxyMode('kind: KubeletConfiguration\n')).toThrow(/expected KubeProxyConfiguration/);
    expect(() => readProxyMode('kind: KubeProxyConfiguration\nmode: userspace\n')).toThrow(/mode "userspace"/);
    expect(() => setProxyMode(kubeadm, { mode: 'ipvs', scheduler: 'rr; rm -rf /' })).toThrow(/invalid IPVS scheduler/);
  });

  it('diffs only the changed lines with context, as a unified diff', () => {
    const after = setProxyMode(kubeadm, { mode: 'ipvs', scheduler: 'rr' });
    const diff = diffConfig(kubeadm, after);
    expect(diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual([
      '-  scheduler: ""', '+  scheduler: "rr"', '-mode: ""', '+mode: "ipvs"',
    ]);
    expect(diff.startsWith('--- config.conf (current)\n+++ config.conf (planned)\n@@ -')).toBe(true);
    // ipvs.scheduler is line 33 of the kubeadm file; the hunk starts 3 lines earlier
    expect(diff).toMatch(/^@@ -30,\d+ \+30,\d+ @@$/m);
    expect(diffConfig(kubeadm, kubeadm)).toBe('');
  });
});
