import { describe, expect, it } from 'vitest';
import { logProblems, readResult, verifyProblems, VerifyResult, PrepResult, missingModules } from '../../../src/workflows/kube-proxy-mode/node-results.js';

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
    const p = verifyProblems(r, { mode: 'ipvs', servicePorts: 4 });
    expect(p.join('\n')).toMatch(/2 IPVS virtual servers, expected at least 4/);
    expect(p.join('\n')).toMatch(/TCP connect to 10.96.0.1:443 failed/);
    expect(p.join('\n')).toMatch(/does not answer ping/);
  });

  it('reads ping the other way round in iptables mode: a reply means kube-ipvs0 was left behind', () => {
    const r = readResult(VerifyResult, { ...ipvsOk, proxyMode: 'iptables', kubeIpvs0: true, kubernetesIpvsServices: 4 });
    const p = verifyProblems(r, { mode: 'iptables', servicePorts: 4 });
    expect(p).toContain('kube-ipvs0 is still there (an IPVS leftover)');
    expect(p.join('\n')).toMatch(/answers ping in iptables mode/);
    const clean = readResult(VerifyResult, { ...ipvsOk, proxyMode: 'iptables', kubeIpvs0: false, kubernetesIpvsServices: 0, ipvsServices: 0, ping: { target: '10.96.0.1', replies: 0 } });
    expect(verifyProblems(clean, { mode: 'iptables', servicePorts: 4 })).toEqual([]);
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
