import { describe, expect, it } from 'vitest';
import { logProblems, pingSummary, readResult, verifyProblems, VerifyResult, PrepResult, missingModules } from '../../../src/workflows/kube-proxy-mode/node-results.js';

// Result lines as the node scripts (src/k8s/node-scripts/verify.sh) write them.
const ipvsOk = {
  phase: 'verify', node: 'worker-1', targetMode: 'ipvs', ok: true, errors: [], warnings: [],
  proxyMode: 'ipvs', kubeIpvs0: true, ipvsServices: 4, kubernetesIpvsServices: 4, kubeSvcChains: 0,
  tcp: { target: '10.96.0.1:443', ok: true }, dns: { name: 'kubernetes.default.svc.cluster.local', server: '10.96.0.10', ok: true },
  ping: { target: '10.96.0.1', replies: 3 },
};

describe('src/workflows/kube-proxy-mode/node-results', () => {
  it('accepts a healthy IPVS node', () => {
    expect(verifyProblems(readResult(VerifyResult, ipvsOk), { mode: 'ipvs', servicePorts: 4 })).toEqual([]);
  });

  it('flags too few IPVS virtual servers, a failed TCP check and a ClusterIP that does not answer ping', () => {
    const r = readResult(VerifyResult, { ...ipvsOk, ipvsServices: 2, tcp: { target: '10.96.0.1:443', ok: false }, ping: { target: '10.96.0.1', replies: 0 } });
    const p = verifyProblems(r, { mode: 'ipvs', servicePorts: 4, kubeProxyMinor: 25 });
    expect(p.join('\n')).toMatch(/2 IPVS virtual servers, expected at least 4/);
    expect(p.join('\n')).toMatch(/TCP connect to 10.96.0.1:443 failed/);
    expect(p.join('\n')).toMatch(/does not answer ping/);
  });

  it('reads ping the other way round in iptables mode: a reply means kube-ipvs0 was left behind', () => {
    const r = readResult(VerifyResult, { ...ipvsOk, proxyMode: 'iptables', kubeIpvs0: true, kubernetesIpvsServices: 4 });
    const p = verifyProblems(r, { mode: 'iptables', servicePorts: 4 });
    expect(p).toContain('kube-ipvs0 is still there (an IPVS leftover)');
    expect(p.join('\n')).toMatch(/answers ping in iptables mode/);
    const clean = readResult(VerifyResult, { ...ipvsOk, proxyMode: 'iptables', kubeIpvs0: false, kubernetesIpvsServices: 0, ipvsServices: 0, kubeSvcChains: 4, ping: { target: '10.96.0.1', replies: 0 } });
    expect(verifyProblems(clean, { mode: 'iptables', servicePorts: 4 })).toEqual([]);
  });

  // Domain §5: KUBE-IPVS-FILTER (k/k PR #108460) REJECTs ping to kube-ipvs0 addresses from v1.26 on.
  it.each([
    { mode: 'ipvs', minor: 25, ping: { replies: 3, rejected: 0 }, fails: false },
    { mode: 'ipvs', minor: 25, ping: { replies: 0, rejected: 0 }, fails: true },
    { mode: 'ipvs', minor: 25, ping: { replies: 0, rejected: 3 }, fails: true },
    { mode: 'ipvs', minor: 28, ping: { replies: 0, rejected: 3 }, fails: false },
    { mode: 'ipvs', minor: 35, ping: { replies: 0, rejected: 0 }, fails: false },
    { mode: 'ipvs', minor: undefined, ping: { replies: 0, rejected: 0 }, fails: false },
    { mode: 'iptables', minor: 28, ping: { replies: 0, rejected: 0 }, fails: false },
    { mode: 'nftables', minor: 30, ping: { replies: 0, rejected: 3 }, fails: false },
    { mode: 'iptables', minor: 28, ping: { replies: 2, rejected: 0 }, fails: true },
  ] as const)('judges ping per version: $mode v1.$minor, $ping.replies replies / $ping.rejected rejections → fails=$fails', ({ mode, minor, ping, fails }) => {
    const base = mode === 'ipvs' ? ipvsOk : { ...ipvsOk, proxyMode: mode, kubeIpvs0: false, kubernetesIpvsServices: 0, ipvsServices: 0, kubeSvcChains: 4, nftTables: mode === 'nftables' ? ['ip kube-proxy'] : [] };
    const r = readResult(VerifyResult, { ...base, ping: { target: '10.96.0.1', ...ping } });
    const p = verifyProblems(r, { mode, servicePorts: 4, ...(minor !== undefined ? { kubeProxyMinor: minor } : {}) });
    expect(p.some((x) => /ping/.test(x))).toBe(fails);
    expect(pingSummary(r, { mode, ...(minor !== undefined ? { kubeProxyMinor: minor } : {}) })).toMatch(fails ? /unexpected/ : /expected/);
  });

  it('fails an IPVS node whose iptables-mode KUBE-SVC-* chains survived the cleanup, and only reports them without cleanup', () => {
    const r = readResult(VerifyResult, { ...ipvsOk, kubeSvcChains: 7 });
    expect(verifyProblems(r, { mode: 'ipvs', servicePorts: 4, cleanup: 'targeted' }).join('\n')).toMatch(/7 KUBE-SVC-\* chains/);
    expect(verifyProblems(r, { mode: 'ipvs', servicePorts: 4, cleanup: 'none' })).toEqual([]);
  });

  it('names the DNS failure status', () => {
    const r = readResult(VerifyResult, { ...ipvsOk, ok: false, errors: [], dns: { name: 'kubernetes.default.svc.corp.example', ok: false, status: 'NXDOMAIN' } });
    expect(verifyProblems(r, { mode: 'ipvs', servicePorts: 4 })).toContain('DNS lookup of kubernetes.default.svc.corp.example failed: NXDOMAIN');
  });

  it('judges a result by its required fields: extra and malformed informational fields are kept or dropped with their path', () => {
    // An independent implementation of the node-Job contract put a string into `leftovers` and odd extra fields.
    const prep = readResult(PrepResult, {
      ok: true, errors: [], kernel: '6.1.0', modules: { ip_vs: 'loaded' },
      leftovers: { iptablesModeChains: 3, note: 'from kube-router' }, vendor: { build: 7, tags: ['x'] }, ipvsProbe: { weird: true },
    });
    expect(prep.ok).toBe(true);
    expect(prep.errors).toEqual([]);
    expect(prep.leftovers).toEqual({ iptablesModeChains: 3 });
    expect(prep.vendor).toEqual({ build: 7, tags: ['x'] });
    expect(prep.ipvsProbe).toBeUndefined();
    expect(prep.warnings?.join('\n')).toMatch(/leftovers\.note: expected a number, got string/);
    expect(prep.warnings?.join('\n')).toMatch(/ipvsProbe: /);
    const verify = readResult(VerifyResult, { ...ipvsOk, ping: { target: '10.96.0.1', replies: 'three' }, dns: { ...ipvsOk.dns, extra: [1, 2] } });
    expect(verify.ok).toBe(true);
    expect(verify.ping).toBeUndefined();
    expect(verify.dns).toMatchObject({ ok: true, extra: [1, 2] });
    expect(verify.warnings?.join('\n')).toMatch(/ping\.replies: /);
    // A missing required field still fails, and says which.
    expect(readResult(VerifyResult, { ...ipvsOk, ok: undefined }).errors[0]).toMatch(/unreadable Job result: ok: /);
  });

  it('turns a missing or malformed Job result into a failed one', () => {
    expect(readResult(VerifyResult, undefined)).toMatchObject({ ok: false, errors: ['the Job wrote no result'] });
    expect(readResult(PrepResult, { ok: 'yes' }).ok).toBe(false);
  });

  it('lists modules the prep Job could not load', () => {
    expect(missingModules(readResult(PrepResult, { ok: false, errors: [], modules: { ip_vs: 'loaded', ip_vs_sh: 'missing' } }))).toEqual(['ip_vs_sh']);
  });

  it('reads kube-proxy logs: the proxier line must be there and no IPVS failure', () => {
    expect(logProblems('I1125 10:00:00.000000 1 server_others.go:152] "Using ipvs Proxier"\n', 'ipvs')).toEqual([]);
    expect(logProblems('E1125 "Error running ProxyServer" err="can\'t use the IPVS proxier: Ipvs not supported"\n', 'ipvs')).toHaveLength(2);
    expect(logProblems('I1125 "Using iptables Proxier"\n', 'iptables')).toEqual([]);
    expect(logProblems('I1125 "Using iptables Proxier"\n', 'ipvs')[0]).toMatch(/no "Using ipvs Proxier"/);
  });
});
