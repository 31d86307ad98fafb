// Rehearsal (issue #13 item 1) through the real interfaces: signed /ipvs commands into the real Bolt app, the real
// runtime (engine, SQLite, K8sCluster), sandboxes as the "real" clusters. The rehearsal runs on its own in-process
// sandbox seeded from the plan's facts; the real cluster's request log must show no write while it plans.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksToText, buttonsIn, type StoredMessage } from '../../src/slack-stand-in/index.js';
import { ALICE, BOB, CHANNEL, E2e } from '../support/e2e-harness.js';

let e: E2e;
beforeAll(async () => {
  e = await E2e.start({
    clusters: [
      { name: 'sandbox', sandbox: { nodes: 3, kubernetesVersion: 'v1.31.2' } },
      // k8s-worker-2 runs a 5.10 kernel: kube-proxy refuses nftables mode below 5.13 (k/k pkg/util/kernel/constants.go).
      { name: 'oldkernel', sandbox: { nodes: 3, kubernetesVersion: 'v1.31.2', kernel: ['6.1.0-27-amd64', '6.1.0-27-amd64', '5.10.0-30-amd64'] } },
    ],
  });
});
afterAll(async () => { await e?.stop(); });

const text = (m: StoredMessage) => blocksToText(m.blocks).join('\n');

/** The card `/ipvs <cmd>` posts for `cluster`, with or without buttons (a blocked plan's card has none). */
async function cardFor(cmd: string, cluster: string): Promise<StoredMessage> {
  const before = e.slack.topLevel(CHANNEL).length;
  await e.command(ALICE, cmd);
  return e.slack.waitFor(() => e.slack.topLevel(CHANNEL).slice(before).find((m) => text(m).includes(`${cluster}: kube-proxy`)), 60_000, `the card for /ipvs ${cmd}`);
}

describe('e2e: plan rehearsal', () => {
  it('a node the target mode cannot run on fails the rehearsal at prep, named on the card, and the plan cannot be approved; no write reached the real cluster', async () => {
    const writes: string[] = [];
    const off = e.sandbox('oldkernel').onRequest((r) => { if (r.method !== 'GET') writes.push(`${r.method} ${r.path}`); });
    const card = await cardFor('plan oldkernel --mode nftables', 'oldkernel');
    off();
    const t = text(card);
    expect(t).toMatch(/rehearsal failed: migrate fails at prepare-nodes on k8s-worker-2: .*kernel 5\.10\.0-30-amd64 is older than 5\.13/);
    expect(buttonsIn(card.blocks).map((b) => b.text)).not.toContain('Approve');
    expect(writes).toEqual([]);
    const run = e.rt.engine.listRuns({ cluster: 'oldkernel', limit: 1 })[0]!;
    expect(run.state).toBe('rejected');
    expect(run.plan.rehearsal).toMatchObject({ outcome: 'failed', failure: { phase: 'migrate', step: 'prepare-nodes', nodes: ['k8s-worker-2'] } });
    expect(run.plan.checks.find((c) => c.id === 'rehearsal')).toMatchObject({ verdict: 'block', nodes: ['k8s-worker-2'] });
    // Approving it anyway (the API the Approve button calls) is refused.
    expect(await e.rt.workflows.approve(run.runId, BOB, run.plan.digest)).toMatchObject({ ok: false, code: 'not_awaiting' });
    // The real cluster was never touched: still iptables, no Job namespace, no Jobs.
    expect(e.configMapMode('oldkernel')).not.toBe('nftables');
    expect(e.sandbox('oldkernel').store.list('jobs').items).toEqual([]);
  });

  it('a healthy cluster shows "rehearsed ok" with the batch count, the digest covers the rehearsal, and the plan can be approved and run', async () => {
    const writes: string[] = [];
    const off = e.sandbox('sandbox').onRequest((r) => { if (r.method !== 'GET') writes.push(`${r.method} ${r.path}`); });
    const { card, runId, digest } = await e.plan('plan sandbox --mode ipvs');
    off();
    expect(writes).toEqual([]);
    expect(text(card)).toMatch(/rehearsed: migrate ok in 3 batches, rollback ok/);
    const plan = e.run(runId).plan;
    expect(plan.rehearsal).toMatchObject({ outcome: 'ok', batches: 3 });
    expect(digest).toBe(plan.digest);
    // The approved run passes the drift gate, which recomputes the digest with the plan's rehearsal.
    await e.click(BOB, card, 'Approve');
    expect((await e.settle(runId)).state).toBe('succeeded');
    expect(e.configMapMode('sandbox')).toBe('ipvs');
  });

  it('--no-rehearse skips it: the card says "not rehearsed" and Approve is offered', async () => {
    // the previous test moved `sandbox` to ipvs; plan the way back to iptables
    const { card, runId } = await e.plan('plan sandbox --mode iptables --no-rehearse');
    expect(text(card)).toMatch(/Rehearsal.*not rehearsed/);
    expect(buttonsIn(card.blocks).map((b) => b.text)).toContain('Approve');
    expect(e.run(runId).plan.rehearsal).toMatchObject({ outcome: 'skipped' });
    await e.click(ALICE, card, 'Reject').catch(() => {});
  });
});
