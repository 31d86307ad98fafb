// Three-outcome node checks (issue #12 item 3): which verify findings fail a node, which only make it inconclusive,
// and how report-only checks are left out. Result lines as src/k8s/node-scripts/verify.sh writes them.
import { describe, expect, it } from 'vitest';
import { isReportOnly, overallOutcome } from '../../../src/workflows/kube-proxy-mode/check-outcome.js';
import { checkNameOf, nodeCheckResults, readResult, VerifyResult, verifyProblems } from '../../../src/workflows/kube-proxy-mode/node-results.js';

const base = {
  phase: 'verify', node: 'w1', ok: true, errors: [] as string[], proxyMode: 'ipvs', kubeIpvs0: true, ipvsServices: 4, kubernetesIpvsServices: 4, kubeSvcChains: 0,
  tcp: { target: '10.96.0.1:443', ok: true }, dns: { name: 'kubernetes.default.svc.cluster.local', server: '10.96.0.10', ok: true, status: 'NOERROR' },
  ping: { target: '10.96.0.1', replies: 0, rejected: 3, outcome: 'rejected' },
};
const judge = (raw: Record<string, unknown>) => {
  const r = readResult(VerifyResult, { ...base, ...raw });
  const problems = verifyProblems(r, { mode: 'ipvs', servicePorts: 4, kubeProxyMinor: 28 });
  return nodeCheckResults('w1', problems, r);
};
const outcomeOf = (checks: ReturnType<typeof judge>, name: string) => checks.find((c) => c.name === name)?.outcome;

describe('src/workflows/kube-proxy-mode/check-outcome', () => {
  it('a healthy node passes every check it probed', () => {
    const checks = judge({});
    expect(checks.map((c) => [c.name, c.outcome])).toEqual([
      ['log', 'pass'], ['proxyMode', 'pass'], ['ipvs', 'pass'], ['cleanup', 'pass'], ['ping', 'pass'], ['tcp', 'pass'], ['dns', 'pass']]);
    expect(overallOutcome(checks)).toBe('pass');
  });

  it('no DNS answer while TCP through a Service works is inconclusive (kube-dns without endpoints), not a failure', () => {
    const checks = judge({ ok: false, dns: { ...base.dns, ok: false, status: 'timeout' }, errors: ['DNS lookup of kubernetes.default.svc.cluster.local failed: no answer from 10.96.0.10 (timeout)'] });
    expect(outcomeOf(checks, 'dns')).toBe('inconclusive');
    expect(overallOutcome(checks)).toBe('inconclusive');
    expect(overallOutcome(checks, { reportOnly: ['dns'] })).toBe('pass');
  });

  it('no DNS answer with TCP failing too is a failure: the Service path itself is broken', () => {
    const checks = judge({ ok: false, tcp: { target: '10.96.0.1:443', ok: false }, dns: { ...base.dns, ok: false, status: 'timeout' } });
    expect(outcomeOf(checks, 'dns')).toBe('fail');
    expect(outcomeOf(checks, 'tcp')).toBe('fail');
    expect(overallOutcome(checks)).toBe('fail');
  });

  it('a wrong answer (NXDOMAIN) fails: a DNS server answered', () => {
    expect(outcomeOf(judge({ ok: false, dns: { ...base.dns, ok: false, status: 'NXDOMAIN' } }), 'dns')).toBe('fail');
  });

  it('a silent metrics endpoint is inconclusive; a wrong mode fails', () => {
    expect(outcomeOf(judge({ ok: false, proxyMode: '', errors: ['kube-proxy did not answer on 127.0.0.1:10249/proxyMode'] }), 'proxyMode')).toBe('inconclusive');
    expect(outcomeOf(judge({ ok: false, proxyMode: 'iptables' }), 'proxyMode')).toBe('fail');
  });

  it('a fail anywhere outranks an inconclusive check', () => {
    const checks = judge({ ok: false, ipvsServices: 1, dns: { ...base.dns, ok: false, status: 'timeout' } });
    expect(outcomeOf(checks, 'ipvs')).toBe('fail');
    expect(overallOutcome(checks)).toBe('fail');
    expect(overallOutcome(checks, { reportOnly: ['ipvs'] })).toBe('inconclusive');
  });

  it('names the check of each problem line; unknown lines count as a verify failure', () => {
    expect(checkNameOf('could not read the kube-proxy log (403)')).toBe('log');
    expect(checkNameOf('kube-ipvs0 is still there (an IPVS leftover)')).toBe('cleanup');
    expect(checkNameOf('ClusterIP 10.96.0.1 does not answer ping: it is not on kube-ipvs0 (kube-proxy before v1.26 answers from there)')).toBe('ping');
    expect(checkNameOf('3 IPVS virtual servers, expected at least 4 (one per Service port)')).toBe('ipvs');
    expect(checkNameOf('the Job wrote no result')).toBe('verify');
    expect(isReportOnly(undefined, 'dns')).toBe(false);
    expect(isReportOnly({ reportOnly: ['prometheus:errors'] }, 'prometheus:errors')).toBe(true);
  });
});
