import { describe, expect, it } from 'vitest';
import { readKubeProxySettings } from '../../../src/k8s/kube-proxy-config.js';
import { assemblePlan, assembleRollbackPlan, planBlocked, plannedConfigText } from '../../../src/workflows/kube-proxy-mode/plan.js';
import { planDigest, migrateTarget, canonicalJson } from '../../../src/workflows/kube-proxy-mode/digest.js';
import { aCluster, aConfigMap, aNode, anInput, fixedClock, KUBEADM_CONFIG_CONF, POLICY } from '../../fixtures/builders/cluster-facts.js';

describe('src/workflows/kube-proxy-mode/plan', () => {
  it('assembles a migrate plan: diff of mode and scheduler only, canary worker, control plane last, expiry from policy', () => {
    const plan = assemblePlan(aCluster({ workers: 3 }), anInput({ batch: 2 }), POLICY, fixedClock());
    expect(plan.kind).toBe('migrate');
    expect(plan.currentMode).toBe('iptables');
    expect(plan.targetMode).toBe('ipvs');
    expect(plan.version).toBe('v1.28.7');
    const changed = plan.configDiff.split('\n').filter((l) => /^[-+][^-+]/.test(l));
    expect(changed).toEqual(['-  scheduler: ""', '+  scheduler: "rr"', '-mode: ""', '+mode: "ipvs"']);
    expect(plan.rollout).toEqual({ canary: 'worker-1', batches: [['worker-2', 'worker-3'], ['cp-1']] });
    expect(plan.nodes.find((n) => n.name === 'cp-1')).toMatchObject({ controlPlane: true, taints: ['node-role.kubernetes.io/control-plane:NoSchedule'] });
    expect(plan.createdAt).toBe('2026-11-25T10:00:00.000Z');
    expect(plan.expiresAt).toBe('2026-11-25T11:00:00.000Z');
    expect(plan.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(planBlocked(plan)).toBe(false);
  });

  it('changes only mode, ipvs.scheduler and ipvs.strictARP in config.conf', () => {
    const after = plannedConfigText(KUBEADM_CONFIG_CONF, anInput({ scheduler: 'wrr', strictArp: true }))!;
    expect(readKubeProxySettings(after)).toMatchObject({ mode: 'ipvs', scheduler: 'wrr', strictARP: true });
    const norm = (t: string) => t.replace(/^mode: .*$/m, '').replace(/^  scheduler: .*$/m, '').replace(/^  strictARP: .*$/m, '');
    expect(norm(after)).toBe(norm(KUBEADM_CONFIG_CONF));
  });

  it('is deterministic: same facts and input give the same digest; any digest input changes it', () => {
    const facts = aCluster();
    const d = (f = facts, input = anInput()) => planDigest(f, migrateTarget(input), POLICY);
    expect(d()).toBe(assemblePlan(facts, anInput(), POLICY, fixedClock()).digest);
    expect(d(aCluster())).toBe(d());
    // node order as listed does not matter, node set does
    expect(d({ ...facts, nodes: [...facts.nodes].reverse() })).toBe(d());
    expect(d({ ...facts, nodes: [...facts.nodes, aNode('worker-9')] })).not.toBe(d());
    expect(d({ ...facts, configMap: aConfigMap(KUBEADM_CONFIG_CONF, { resourceVersion: '999' }) })).not.toBe(d());
    expect(d({ ...facts, configMap: aConfigMap(KUBEADM_CONFIG_CONF + '\n# edited') })).not.toBe(d());
    expect(d({ ...facts, daemonSet: { ...facts.daemonSet!, generation: 2 } })).not.toBe(d());
    expect(d(facts, anInput({ scheduler: 'lc' }))).not.toBe(d());
    expect(d({ ...facts, clusterUid: 'other' })).not.toBe(d());
    expect(planDigest(facts, migrateTarget(anInput()), { ...POLICY, requiredApprovals: 2 })).not.toBe(d());
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[2,{"y":2,"z":1}]},"b":1}');
  });

  it('still shows a blocked plan with its reasons (no diff when config.conf is unreadable)', () => {
    const plan = assemblePlan(aCluster({ configConf: 'not: [valid' }), anInput(), POLICY, fixedClock());
    expect(planBlocked(plan)).toBe(true);
    expect(plan.configDiff).toBe('');
  });

  it('assembles a rollback plan that restores the snapshot text exactly', () => {
    const migrated = plannedConfigText(KUBEADM_CONFIG_CONF, anInput())!;
    const facts = aCluster({ configConf: migrated });
    const plan = assembleRollbackPlan(facts, { parentRunId: 'run-1', parentInput: anInput(), snapshotText: KUBEADM_CONFIG_CONF }, POLICY, fixedClock());
    expect(plan.kind).toBe('rollback');
    expect(plan.currentMode).toBe('ipvs');
    expect(plan.targetMode).toBe('iptables');
    expect(plan.configDiff).toContain('-mode: "ipvs"');
    expect(plan.configDiff).toContain('+mode: ""');
    expect(planBlocked(plan)).toBe(false);
    expect(plan.input.autoRollback).toBe(false);
  });
});
