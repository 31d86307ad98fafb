// Approvals that mean something (issue #4 item 4) with the real engine and workflow: refused clicks are answered
// ephemerally and audited, a quorum of 2 starts only after the second distinct approver, an expired plan cannot
// be approved, a rejection carries its reason onto the card, and an awaiting run can be cancelled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksToText } from '../../src/slack-stand-in/index.js';
import { ALICE, BOB, CAROL, E2e, MALLORY } from '../support/e2e-harness.js';

let e: E2e;
beforeAll(async () => {
  e = await E2e.start({
    clusters: [
      { name: 'sandbox' },
      { name: 'quorum', yaml: { requiredApprovals: 2 } },
      { name: 'shortlived', yaml: { approvalTtl: '1s' } },
    ],
  });
});
afterAll(async () => { await e?.stop(); });

const cardText = (ts: string) => blocksToText(e.card(ts).blocks).join('\n');

describe('e2e: approval policy', () => {
  it('self-approval and a non-approver are refused ephemerally and audited; the run keeps waiting', async () => {
    // BOB is an approver, but not of his own run.
    const { card, runId } = await e.plan('plan sandbox', BOB);
    const bobSaw = e.slack.ephemeralsFor(BOB).length;
    expect((await e.click(BOB, card, 'Approve')).status).toBe(200);
    expect((await e.nextEphemeral(BOB, bobSaw)).text).toMatch(/You requested this run/);

    const malSaw = e.slack.ephemeralsFor(MALLORY).length;
    expect((await e.click(MALLORY, card, 'Approve')).status).toBe(200);
    expect((await e.nextEphemeral(MALLORY, malSaw)).text).toMatch(/not an approver/);

    const run = e.run(runId);
    expect(run.state).toBe('awaiting_approval');
    expect(run.approvals).toEqual([]);
    const refused = e.audit(runId).filter((a) => a.type === 'approval.refused');
    expect(refused.map((a) => [a.actor, a.payload.code])).toEqual([[BOB, 'self_approval'], [MALLORY, 'not_approver']]);
    // Refusals are not public: nothing was posted in the channel or the thread about them.
    expect(e.thread(card.ts)).toEqual([]);
    expect(cardText(card.ts)).toMatch(/0\/1 approvals/);

    // Reject with a reason (modal) → the card shows rejected, who, and why.
    await e.click(CAROL, card, 'Reject');
    const modal = await e.slack.waitFor(() => e.driver.lastViewFor(CAROL), 10_000, 'the reject modal');
    expect(JSON.stringify(modal.view)).toMatch(/Reason/);
    const submit = await e.driver.submitView(CAROL, modal.id, { reject_reason: { value: 'change freeze until Monday' } });
    expect(submit.status).toBe(200);
    const rejected = await e.settle(runId);
    expect(rejected.state).toBe('rejected');
    expect(rejected.reason).toContain('change freeze until Monday');
    await e.slack.waitFor(() => /Rejected/.test(cardText(card.ts)) && cardText(card.ts).includes('change freeze until Monday'), 10_000, 'the rejected card');
    expect(cardText(card.ts)).toContain(CAROL);
    expect(e.audit(runId).find((a) => a.type === 'run.rejected')).toMatchObject({ actor: CAROL, payload: { reason: 'change freeze until Monday' } });
    expect(e.configMapMode('sandbox')).toBe('');
  });

  it('a quorum of 2 starts only after the second distinct approver', async () => {
    const uids = e.kubeProxyPodUids('quorum');
    const { card, runId } = await e.plan('plan quorum');
    const bobSaw = e.slack.ephemeralsFor(BOB).length;
    await e.click(BOB, card, 'Approve');
    expect((await e.nextEphemeral(BOB, bobSaw)).text).toMatch(/counts \(1\/2\)/);
    // A double click (or a duplicate delivery) by the same person does not make two.
    await e.click(BOB, card, 'Approve');
    expect((await e.nextEphemeral(BOB, bobSaw + 1)).text).toMatch(/already approved/);
    await new Promise((r) => setTimeout(r, 300));
    expect(e.run(runId).state).toBe('awaiting_approval');
    expect(e.run(runId).approvals.map((a) => a.user)).toEqual([BOB]);
    expect(e.kubeProxyPodUids('quorum')).toEqual(uids);
    expect(e.audit(runId).some((a) => a.type === 'run.started')).toBe(false);
    await e.slack.waitFor(() => /1\/2 approvals/.test(cardText(card.ts)), 10_000, 'the card counting 1/2');

    const carolSaw = e.slack.ephemeralsFor(CAROL).length;
    await e.click(CAROL, card, 'Approve');
    expect((await e.nextEphemeral(CAROL, carolSaw)).text).toMatch(/Approved \(2\/2\)/);
    const done = await e.settle(runId);
    expect(done.state, done.reason).toBe('succeeded');
    expect(done.approvals.map((a) => a.user).sort()).toEqual([BOB, CAROL].sort());
    expect(e.configMapMode('quorum')).toBe('ipvs');
    const types = e.audit(runId).map((a) => a.type);
    const recorded = types.flatMap((t, i) => (t === 'approval.recorded' ? [i] : []));
    expect(recorded).toHaveLength(2);
    expect(types.indexOf('run.approved')).toBeGreaterThan(recorded[1]!);
    expect(types.indexOf('run.started')).toBeGreaterThan(types.indexOf('run.approved'));
  });

  it('expiry: after the approval window the click is refused and the run shows expired', async () => {
    const { card, runId } = await e.plan('plan shortlived');
    expect(e.run(runId).state).toBe('awaiting_approval');
    await e.waitRun(runId, ['expired'], 10_000);
    const bobSaw = e.slack.ephemeralsFor(BOB).length;
    await e.click(BOB, card, 'Approve');
    expect((await e.nextEphemeral(BOB, bobSaw)).text).toMatch(/expired/i);
    const run = await e.settle(runId);
    expect(run.state).toBe('expired');
    expect(run.approvals).toEqual([]);
    await e.slack.waitFor(() => /Expired/.test(cardText(card.ts)), 10_000, 'the expired card');
    expect(e.audit(runId).filter((a) => a.type === 'approval.refused').map((a) => a.payload.code)).toEqual(['expired']);
    expect(e.configMapMode('shortlived')).toBe('');
  });

  it('cancel: an awaiting run can be cancelled by its requester, not by a bystander', async () => {
    const { card, runId } = await e.plan('plan sandbox');
    const malSaw = e.slack.ephemeralsFor(MALLORY).length;
    await e.command(MALLORY, `cancel ${runId}`);
    expect((await e.nextEphemeral(MALLORY, malSaw)).text).toMatch(/Only the requester or an approver/);
    expect(e.run(runId).state).toBe('awaiting_approval');

    const aliceSaw = e.slack.ephemeralsFor(ALICE).length;
    await e.command(ALICE, `cancel ${runId}`);
    expect((await e.nextEphemeral(ALICE, aliceSaw)).text).toMatch(/cancelled/);
    const run = await e.settle(runId);
    expect(run.state).toBe('cancelled');
    await e.slack.waitFor(() => /Cancelled/.test(cardText(card.ts)), 10_000, 'the cancelled card');
    // Its buttons are gone: nothing left to approve.
    expect(cardText(card.ts)).not.toMatch(/\[Approve\]/);
    expect(e.run(runId).state).toBe('cancelled');
    // The cluster is free again.
    const next = await e.plan('plan sandbox');
    expect(e.run(next.runId).state).toBe('awaiting_approval');
  });
});
