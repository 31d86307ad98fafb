// The wait for the real first sync against the HTTP sandbox (real client-node through K8sCluster, real SQLite, the
// real engine): each node's new kube-proxy must report a sync after its start on its own /metrics, read by the node's
// first Job after the restart (cleanup, else verify), or the node fails with the reason and the run rolls back. There
// is no fixed settle step any more.
import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SandboxOptions } from '../../../src/sandbox/index.js';
import { PlanInput, type RunEvent } from '../../../src/workflows/kube-proxy-mode/api.js';
import { sandboxHarness, type HarnessOptions } from './harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

async function setup(opts: SandboxOptions, h: HarnessOptions = {}) {
  const events: RunEvent[] = [];
  return { ...await sandboxHarness(cleanups, opts, { ...h, onEvent: (e) => events.push(e) }), events };
}

const verified = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'node' && e.phase === 'verified' ? [e] : []));

describe('each node waits for its own kube-proxy\'s first sync', () => {
  it('a stuck kube-proxy fails its node with the reason and the run rolls back; kubectl is unaffected', async () => {
    const { sb, h, events } = await setup({ nodes: 3, controlPlane: 0, kubeProxySync: { stuck: ['k8s-worker-1'], stuckModes: ['ipvs'] } },
      { timing: { syncTimeoutMs: 1500 } });
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(run.state, run.reason).toBe('rolled_back');
    expect(run.reason).toMatch(/k8s-worker-1: kube-proxy did not sync within 1\.5s: \/healthz 200/);
    const s = verified(events).find((e) => e.node === 'k8s-worker-1')!;
    expect(s.ok).toBe(false);
    expect(s.result).toMatchObject({ sync: { synced: false, syncedAt: null, metricsStatus: 200, healthz: { status: 200 } } });
    expect((s.result.sync as { waitedMs: number }).waitedMs).toBeGreaterThanOrEqual(1500);
    expect(s.result.checks).toContainEqual({ name: 'sync', outcome: 'fail', detail: expect.stringMatching(/did not sync within 1\.5s/) });
    // The cleanup Job waited, saw no sync and removed nothing; no verify Job ran after it (it would only wait again).
    expect(s.result.removed ?? {}).toEqual({});
    // Rolled back: every node is in iptables mode again.
    for (const n of sb.cluster.nodes) expect(sb.cluster.host(n.name).proxyMode, n.name).toBe('iptables');
    const failed = h.audit(run.runId).find((e) => e.type === 'step.failed');
    expect(JSON.stringify(failed?.payload)).toMatch(/verify:\d/);
    const steps = h.audit(run.runId).find((e) => e.type === 'run.started')?.payload as { steps?: string[] } | undefined;
    expect(steps?.steps?.some((id) => id.startsWith('settle:'))).toBe(false);
    // kubectl sees the Jobs the wait ran in (async: the sandbox answers from this process): the stuck node's cleanup
    // Job, and no verify Job for it.
    const jobs = async (phase: string) => (await promisify(execFile)('kubectl', ['--kubeconfig', sb.kubeconfigPath, 'get', 'jobs', '-n', 'ipvs-bot-jobs', '-l', `ipvs-bot/phase=${phase},ipvs-bot/node=k8s-worker-1`, '-o', 'name'], { encoding: 'utf8', timeout: 60_000 })).stdout;
    expect(await jobs('cleanup')).toMatch(/job\.batch\/ipvs-cleanup-.*-fwd/);
    expect(await jobs('verify')).not.toMatch(/-fwd/);
  });

  it('a slow kube-proxy is waited for, and its sync time is recorded', async () => {
    const { h, events } = await setup({ nodes: 2, controlPlane: 0, kubeProxySync: { slow: [{ node: 'k8s-worker-1', factor: 8 }] } },
      { timing: { syncTimeoutMs: 10_000 } });
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(run.state, run.reason).toBe('succeeded');
    const s = verified(events).find((e) => e.node === 'k8s-worker-1')!;
    expect(s.ok).toBe(true);
    const r = s.result.sync as { startedAt: number; syncedAt: number; waitedMs: number; syncDurationMs: number; healthz: { status: number } };
    // 8 × the modelled sync of a few Services (≈150 ms): the Job waited for it rather than a fixed time.
    expect(r.syncedAt - r.startedAt).toBeGreaterThanOrEqual(1000);
    expect(r.syncDurationMs).toBeGreaterThanOrEqual(1000);
    expect(r.healthz.status).toBe(200);
    expect(r.waitedMs).toBeGreaterThan(0);
  });
});
