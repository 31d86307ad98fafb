import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jobOutcome, lastJsonObject, podFailed, terminationResult, toDaemonSetInfo, toNodeInfo, toPodInfo } from '../../src/k8s/k8s-objects.js';

type AnyObj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const fx = JSON.parse(readFileSync(new URL('../fixtures/k8s/objects.json', import.meta.url), 'utf8')) as Record<string, AnyObj>;

describe('src/k8s/k8s-objects', () => {
  it('maps the real v1.28 node list (kernels, taints, readiness)', () => {
    const nodes = fx.nodeList!.items.map(toNodeInfo);
    expect(nodes.map((n: AnyObj) => [n.name, n.kernelVersion, n.ready])).toEqual([
      ['k8s-cp-1', '6.1.0-27-amd64', true], ['k8s-worker-1', '3.10.0-1160.el7.x86_64', true], ['k8s-worker-2', '4.18.0-513.el8.x86_64', true],
    ]);
    expect(nodes[0].taints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
  });

  it('maps the kubeadm kube-proxy DaemonSet', () => {
    const ds = toDaemonSetInfo(fx.daemonSet);
    expect(ds).toMatchObject({ name: 'kube-proxy', namespace: 'kube-system', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, selector: { 'k8s-app': 'kube-proxy' } });
    expect(ds.image).toMatch(/kube-proxy:v1\.28\.7$/);
  });

  it('reads Job outcomes from real Complete / BackoffLimitExceeded / DeadlineExceeded conditions', () => {
    expect(jobOutcome(fx.jobComplete)).toEqual({ outcome: 'succeeded' });
    expect(jobOutcome(fx.jobBackoff)).toEqual({ outcome: 'failed', reason: 'BackoffLimitExceeded' });
    expect(jobOutcome(fx.jobDeadline)).toEqual({ outcome: 'failed', reason: 'DeadlineExceeded' });
    expect(jobOutcome({ status: { active: 1 } })).toEqual({ outcome: 'running' });
  });

  it('reads the result JSON from the terminated container message of a real succeeded Job pod', () => {
    expect(terminationResult(fx.podSucceeded)).toMatchObject({ node: 'k8s-worker-1', ok: true });
  });

  it('finds the last JSON object line in a log, ignoring other lines and broken JSON', () => {
    expect(lastJsonObject('loading ip_vs\n{"ok":false}\n{"phase":"prep","ok":true}\nbye\n{broken')).toEqual({ phase: 'prep', ok: true });
    expect(lastJsonObject('["not an object"]\n')).toBeUndefined();
    expect(lastJsonObject(undefined)).toBeUndefined();
  });

  it('treats CrashLoopBackOff as failed and a Ready pod as ready', () => {
    const crash = toPodInfo({ metadata: { name: 'kp', uid: 'u' }, status: { phase: 'Running', containerStatuses: [{ restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } });
    expect([crash.ready, podFailed(crash), crash.restartCount]).toEqual([false, true, 3]);
    const ok = toPodInfo({ metadata: { name: 'kp', uid: 'u', creationTimestamp: new Date('2026-11-25T00:00:00Z') }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
    expect([ok.ready, podFailed(ok), ok.createdAt]).toEqual([true, false, '2026-11-25T00:00:00.000Z']);
  });
});
