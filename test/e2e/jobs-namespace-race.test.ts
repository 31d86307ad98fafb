// Regression (found by the 1,000-node RSS bench, fixed in 2273cb6): on a cluster where the Jobs' namespace does
// not exist yet, the first prep chunk creates up to jobConcurrency Jobs at once; each create answers NotFound, one
// of them creates the namespace, and the others used to rethrow the stale NotFound on seeing it exist, failing
// the migration at "prepare nodes".
import { afterEach, describe, expect, it } from 'vitest';
import { K8sCluster } from '../../src/k8s/k8s-cluster.js';
import { createNodeJobFactory } from '../../src/k8s/node-jobs.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

let sb: Sandbox | undefined;
afterEach(async () => { await sb?.stop(); sb = undefined; });

describe('e2e: first Jobs on a cluster without the Jobs namespace', () => {
  it('20 concurrent ensureJob calls all succeed and the namespace is created once', async () => {
    sb = await startSandbox({ nodes: 20, controlPlane: 0, stepMs: 5 });
    expect(sb.store.get('namespaces', undefined, 'ipvs-bot-jobs')).toBeUndefined();
    // Uneven API latency (as on a busy API server) interleaves the 20 callers' create / read-namespace requests.
    Object.assign(sb.faults, { latencyJitterMs: 60, seed: 3 });
    const cluster = K8sCluster.fromKubeconfig({ kubeconfig: sb.kubeconfigPath });
    const jobs = createNodeJobFactory({ runId: 'race-test', namespace: 'ipvs-bot-jobs' });
    const specs = sb.cluster.nodes.map((n) => jobs.prep(n.name, { scheduler: 'rr', targetMode: 'ipvs' }));
    const settled = await Promise.allSettled(specs.map((s) => cluster.ensureJob(s)));
    const failed = settled.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
    expect(failed).toEqual([]);
    expect(sb.store.list('jobs', 'ipvs-bot-jobs').items).toHaveLength(20);
  });
});
