// Pure plan-side behaviour of issue #7: the IPVS feature-gate rule by version, the cleanup wording per pair of modes,
// the advice attached to a plan, and prep verdicts for non-IPVS targets.
import { describe, expect, it } from 'vitest';
import { setProxyMode } from '../../../src/k8s/kube-proxy-config.js';
import { runChecks } from '../../../src/workflows/kube-proxy-mode/checks.js';
import { assemblePlan, assembleRollbackPlan } from '../../../src/workflows/kube-proxy-mode/plan.js';
import { prepChecks } from '../../../src/workflows/kube-proxy-mode/rules/prep.js';
import { PrepResult } from '../../../src/workflows/kube-proxy-mode/node-results.js';
import { verifyProblems, VerifyResult } from '../../../src/workflows/kube-proxy-mode/node-results.js';
import { aCluster, aNode, anInput, fixedClock, KUBEADM_CONFIG_CONF, POLICY } from '../../fixtures/builders/cluster-facts.js';

const gate = (c: ReturnType<typeof runChecks>) => c.find((x) => x.id === 'ipvs-deprecated');

describe('issue #7 plan side', () => {
  it('IPVS on 1.40: blocked without the KubeProxyIPVS gate (named), a warning with it; 1.43 blocked either way', () => {
    const off = gate(runChecks(aCluster({ version: 'v1.40.2' }), anInput()));
    expect(off?.verdict).toBe('block');
    expect(off?.message).toMatch(/featureGates: \{KubeProxyIPVS: true\}/);
    const withGate = `${KUBEADM_CONFIG_CONF}\nfeatureGates:\n  KubeProxyIPVS: true\n`;
    const on = gate(runChecks(aCluster({ version: 'v1.40.2', configConf: withGate }), anInput()));
    expect(on?.verdict).toBe('warn');
    expect(on?.message).toMatch(/re-enables it/);
    expect(gate(runChecks(aCluster({ version: 'v1.43.0', configConf: withGate }), anInput()))?.verdict).toBe('block');
    expect(gate(runChecks(aCluster({ version: 'v1.40.2' }), anInput({ targetMode: 'nftables' })))).toBeUndefined();
  });

  it('the cleanup line says who cleans what for each pair of modes', () => {
    const toNft = assemblePlan(aCluster({ version: 'v1.33.1' }), anInput({ targetMode: 'nftables' }), POLICY, fixedClock());
    expect(toNft.risks.join('\n')).toMatch(/kube-proxy in nftables mode removes the iptables mode's rules itself; after each node switches, a Job checks/);
    const nftConf = setProxyMode(KUBEADM_CONFIG_CONF, { mode: 'nftables' });
    const fromNft = assemblePlan(aCluster({ version: 'v1.33.1', configConf: nftConf }), anInput({ targetMode: 'ipvs' }), POLICY, fixedClock());
    expect(fromNft.currentMode).toBe('nftables');
    expect(fromNft.risks.join('\n')).toMatch(/kube-proxy in ipvs mode deletes the nftables mode's tables when it starts; after each node switches, a Job removes any it missed/);
    const toIpvs = assemblePlan(aCluster(), anInput(), POLICY, fixedClock());
    expect(toIpvs.risks.join('\n')).toMatch(/a Job removes only the iptables mode's leftovers/);
    const rb = assembleRollbackPlan(aCluster({ version: 'v1.33.1', configConf: nftConf }),
      { parentRunId: 'run-0', parentInput: anInput({ targetMode: 'nftables' }), snapshotText: KUBEADM_CONFIG_CONF }, POLICY, fixedClock());
    expect(rb.targetMode).toBe('iptables');
    expect(rb.risks.join('\n')).toMatch(/kube-proxy deletes its nftables tables when it starts/);
  });

  it('every migrate plan carries the advice; the digest does not depend on it', () => {
    const facts = aCluster({ version: 'v1.35.0', nodes: [aNode('cp-1'), aNode('worker-1', { kernelVersion: '5.4.0-150-generic' })] });
    const p = assemblePlan(facts, anInput({ targetMode: 'ipvs' }), POLICY, fixedClock());
    expect(p.advice?.recommendation.mode).toBe('iptables');
    expect(p.advice?.nftablesKernels.tooOld).toEqual(['worker-1']);
    const again = assemblePlan(facts, anInput({ targetMode: 'ipvs' }), POLICY, fixedClock());
    expect(again.digest).toBe(p.digest);
  });

  it('prep verdicts for nftables and iptables targets name the node and the reason', () => {
    const r = (x: unknown) => PrepResult.parse(x);
    const nft = prepChecks({
      'worker-1': r({ ok: false, errors: ['kernel 5.10.0-28-amd64 is older than 5.13: kube-proxy in nftables mode requires kernel 5.13 or later'], modules: { nf_tables: 'loaded', nf_conntrack: 'loaded' } }),
      'worker-2': r({ ok: false, errors: ['kernel module nf_tables could not be loaded'], modules: { nf_tables: 'missing', nf_conntrack: 'loaded' } }),
    }, anInput({ targetMode: 'nftables' }));
    expect(nft.find((c) => c.id === 'prep-modules')?.message).toMatch(/^Kernel modules for nftables mode could not be loaded on worker-2/);
    expect(nft.find((c) => c.id === 'prep-failed')?.nodes).toEqual(['worker-1']);
    expect(nft.find((c) => c.id === 'prep-details')?.message).toMatch(/worker-1: kernel 5\.10\.0-28-amd64 is older than 5\.13/);
    const foreign = prepChecks({ 'worker-3': r({ ok: true, errors: [], modules: { nf_tables: 'loaded' }, foreignIpvsServicesCount: 1 }) }, anInput({ targetMode: 'nftables' }));
    expect(foreign.find((c) => c.id === 'prep-foreign-ipvs')).toMatchObject({ verdict: 'block', nodes: ['worker-3'], message: expect.stringMatching(/flushes the whole IPVS table/) });
    expect(prepChecks({ 'worker-3': r({ ok: true, errors: [], modules: {}, foreignIpvsServicesCount: 1 }) }, anInput({ targetMode: 'ipvs' })).find((c) => c.id === 'prep-foreign-ipvs')?.verdict).toBe('warn');
    const ipt = prepChecks({ 'worker-1': r({ ok: true, errors: [], modules: { nf_conntrack: 'loaded' } }) }, anInput({ targetMode: 'iptables' }));
    expect(ipt.map((c) => c.verdict)).toEqual(['pass']);
  });

  it('verify judges kube-proxy\'s nftables tables: required in nftables mode, a leftover in the others', () => {
    const v = (x: unknown) => VerifyResult.parse(x);
    expect(verifyProblems(v({ ok: true, proxyMode: 'nftables', kubeIpvs0: false, nftTables: ['ip kube-proxy'] }), { mode: 'nftables', servicePorts: 4 })).toEqual([]);
    expect(verifyProblems(v({ ok: true, proxyMode: 'nftables', kubeIpvs0: false, nftTables: [] }), { mode: 'nftables', servicePorts: 4 }))
      .toEqual(["kube-proxy's nftables table (ip kube-proxy) does not exist"]);
    expect(verifyProblems(v({ ok: true, proxyMode: 'iptables', kubeIpvs0: false, nftTables: ['ip kube-proxy', 'ip6 kube-proxy'] }), { mode: 'iptables', servicePorts: 4 }))
      .toEqual(["kube-proxy's nftables tables are still there (ip kube-proxy ip6 kube-proxy): an nftables leftover"]);
    // nft not in the Job image: nothing to judge.
    expect(verifyProblems(v({ ok: true, proxyMode: 'iptables', kubeIpvs0: false, nftTables: null }), { mode: 'iptables', servicePorts: 4 })).toEqual([]);
  });
});
