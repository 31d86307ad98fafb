import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { blocksToText, buttonsIn } from '../../src/slack-stand-in/block-text.js';
import { CHANNEL, planCard, startHarness, USERS, type Harness } from './harness.js';

describe('src/bot approvals over signed HTTP', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h.stop(); });
  beforeEach(async () => {
    // One run per cluster at a time: end whatever the previous test left.
    for (const r of h.workflows.runs.values()) if (['awaiting_approval', 'running'].includes(r.state)) r.state = 'cancelled';
    h.slack.clearFaults();
  });

  const cardText = (c: { channel: string; ts: string }): string => blocksToText(h.slack.message(c.channel, c.ts)?.blocks).join('\n');
  /** The modal opened for `user` after the views already recorded. */
  const newModal = async (user: string, click: () => Promise<unknown>) => {
    const before = h.driver.lastViewFor(user)?.id;
    await click();
    return h.slack.waitFor(() => { const v = h.driver.lastViewFor(user); return v && v.id !== before ? v : undefined; }, 5000, 'modal');
  };
  const ephemeral = (user: string, re: RegExp) => h.slack.waitFor(() => h.slack.ephemeralsFor(user).find((e) => re.test(e.text)), 5000, `ephemeral ${re}`);

  it('counts an approval by another approver; the run starts and the card shows 1/1 approvals', async () => {
    const c = await planCard(h, 'cluster-a');
    const r = await h.driver.clickButton(USERS.alice, c, 'Approve');
    expect(r.status).toBe(200);
    await ephemeral(USERS.alice, /Approved \(1\/1\)/);
    expect(h.workflows.runs.get(c.runId)?.state).toBe('running');
    await h.slack.waitFor(() => cardText(c).includes('1/1 approvals: <@U0ALICE>'), 5000, 'card update');
    expect(buttonsIn(h.slack.message(c.channel, c.ts)?.blocks).map((b) => b.text)).toEqual(['Cancel']);
  });

  it('refuses self-approval ephemerally and audits it', async () => {
    const c = await planCard(h, 'cluster-a', USERS.requester);
    await h.driver.clickButton(USERS.requester, c, 'Approve');
    await ephemeral(USERS.requester, /you requested this run/i);
    expect(h.workflows.runs.get(c.runId)?.approvals).toEqual([]);
    expect(h.audit).toContainEqual(expect.objectContaining({ actor: USERS.requester, runId: c.runId, type: 'approval.refused', cluster: 'cluster-a', payload: expect.objectContaining({ code: 'self_approval' }) }));
    expect(h.workflows.calls.some((x) => x.method === 'approve' && x.args[0] === c.runId)).toBe(false);
  });

  it('refuses a non-approver ephemerally and audits it', async () => {
    const c = await planCard(h, 'cluster-a');
    await h.driver.clickButton(USERS.mallory, c, 'Approve');
    await ephemeral(USERS.mallory, /not an approver/);
    expect(h.workflows.runs.get(c.runId)?.approvals).toEqual([]);
    expect(h.audit).toContainEqual(expect.objectContaining({ actor: USERS.mallory, type: 'approval.refused', payload: expect.objectContaining({ code: 'not_approver' }) }));
  });

  it('needs a quorum of 2 distinct approvers; a double click does not count twice', async () => {
    const c = await planCard(h, 'cluster-b');
    expect(cardText(c)).toContain('0/2 approvals');
    await Promise.all([h.driver.clickButton(USERS.alice, c, 'Approve'), h.driver.clickButton(USERS.alice, c, 'Approve')]);
    await ephemeral(USERS.alice, /already approved/);
    await ephemeral(USERS.alice, /counts \(1\/2\)/);
    expect(h.workflows.runs.get(c.runId)?.state).toBe('awaiting_approval');
    await h.slack.waitFor(() => cardText(c).includes('1/2 approvals: <@U0ALICE>'), 5000, '1/2 on card');
    await h.driver.clickButton(USERS.bob, c, 'Approve');
    await ephemeral(USERS.bob, /Approved \(2\/2\)/);
    expect(h.workflows.runs.get(c.runId)?.state).toBe('running');
    expect(h.workflows.runs.get(c.runId)?.approvals.map((a) => a.user)).toEqual([USERS.alice, USERS.bob]);
  });

  it('production: Approve opens a modal; a wrong name is refused in the modal, the right one counts (user-group member)', async () => {
    const c = await planCard(h, 'prod-eu');
    const btn = buttonsIn(h.slack.message(c.channel, c.ts)?.blocks).find((b) => b.text === 'Approve');
    expect(btn?.confirm).toBeUndefined();
    const modal = await newModal(USERS.carol, () => h.driver.clickButton(USERS.carol, c, 'Approve'));
    expect(JSON.stringify(modal.view)).toContain('Type its name');
    const wrong = await h.driver.submitView(USERS.carol, modal.id, { cluster_name: { value: 'prod-us' } });
    expect(wrong.json).toEqual({ response_action: 'errors', errors: { cluster_name: 'Type the cluster name exactly: prod-eu' } });
    expect(h.workflows.runs.get(c.runId)?.approvals).toEqual([]);
    const right = await h.driver.submitView(USERS.carol, modal.id, { cluster_name: { value: 'prod-eu' } });
    expect(right.status).toBe(200);
    await ephemeral(USERS.carol, /counts \(1\/2\)/);
    expect(h.workflows.runs.get(c.runId)?.approvals.map((a) => a.user)).toEqual([USERS.carol]);
    expect(h.slack.callsTo('usergroups.users.list').at(-1)?.args.usergroup).toBe('S0SRE');
  });

  it('falls back to the user list when the workspace has no user groups (paid_teams_only), and logs it', async () => {
    h.slack.failMethod('usergroups.users.list', 'paid_teams_only', 2);
    const c = await planCard(h, 'prod-eu');
    const views = h.slack.views.size;
    // Not an approver without the group: refused at the click, no modal to type into.
    await h.driver.clickButton(USERS.carol, c, 'Approve');
    await h.slack.waitFor(() => h.audit.find((a) => a.runId === c.runId && a.payload.usergroupFallback === 'paid_teams_only'), 5000, 'fallback audit');
    await h.slack.waitFor(() => h.slack.ephemeralsFor(USERS.carol).filter((e) => /not an approver/.test(e.text)).length === 1, 5000, 'refusal');
    expect(h.logger.lines.some((l) => l.level === 'warn' && l.obj.slackError === 'paid_teams_only')).toBe(true);
    expect(h.slack.views.size).toBe(views);
    // The approver listed by ID still counts on the same workspace.
    h.slack.failMethod('usergroups.users.list', 'not_allowed_token_type', 5);
    const m2 = await newModal(USERS.alice, () => h.driver.clickButton(USERS.alice, c, 'Approve'));
    await h.driver.submitView(USERS.alice, m2.id, { cluster_name: { value: 'prod-eu' } });
    await h.slack.waitFor(() => h.workflows.runs.get(c.runId)?.approvals.some((a) => a.user === USERS.alice), 5000, 'alice counted');
  });

  it('Reject asks for a reason in a modal; the card then shows who rejected and why, without buttons', async () => {
    const c = await planCard(h, 'cluster-a');
    const modal = await newModal(USERS.bob, () => h.driver.clickButton(USERS.bob, c, 'Reject'));
    const empty = await h.driver.submitView(USERS.bob, modal.id, { reject_reason: { value: ' ' } });
    expect(empty.json?.response_action).toBe('errors');
    await h.driver.submitView(USERS.bob, modal.id, { reject_reason: { value: 'change freeze until Monday' } });
    await h.slack.waitFor(() => cardText(c).includes('change freeze until Monday'), 5000, 'rejected card');
    expect(h.workflows.runs.get(c.runId)?.state).toBe('rejected');
    expect(cardText(c)).toMatch(/Rejected/);
    expect(buttonsIn(h.slack.message(c.channel, c.ts)?.blocks)).toEqual([]);
    // The final result is also broadcast from the thread.
    const broadcast = await h.slack.waitFor(() => h.slack.replies(CHANNEL, c.ts).find((m) => m.reply_broadcast), 5000, 'broadcast');
    expect(broadcast.text).toMatch(/Rejected/);
  });

  it('a stale card (digest changed) does not count', async () => {
    const c = await planCard(h, 'cluster-a');
    h.workflows.runs.get(c.runId)!.plan.digest = 'sha256-new';
    await h.driver.clickButton(USERS.alice, c, 'Approve');
    await ephemeral(USERS.alice, /out of date/);
    expect(h.workflows.runs.get(c.runId)?.approvals).toEqual([]);
  });

  it('an expired plan does not count and says to plan again', async () => {
    const c = await planCard(h, 'cluster-a');
    const now = h.workflows.now;
    h.workflows.now = () => Date.now() + 2 * 3_600_000;
    try {
      await h.driver.clickButton(USERS.alice, c, 'Approve');
      await ephemeral(USERS.alice, /plan has expired/);
    } finally { h.workflows.now = now; }
    expect(h.workflows.runs.get(c.runId)?.approvals).toEqual([]);
  });

  it('/ipvs rollback posts an approval-gated rollback card with the rollback quorum', async () => {
    const r = await h.driver.command(USERS.requester, CHANNEL, 'rollback cluster-b');
    expect(String(r.json?.text)).toMatch(/Planning the rollback/);
    const card = await h.slack.waitFor(() => h.slack.topLevel(CHANNEL).find((m) => m.text.startsWith('Rollback of cluster-b')), 5000, 'rollback card');
    const text = blocksToText(card.blocks).join('\n');
    expect(text).toContain('# Rollback of cluster-b: kube-proxy ipvs → iptables');
    expect(text).toContain('0/2 approvals');
    expect(buttonsIn(card.blocks).map((b) => b.text)).toEqual(['Approve', 'Reject']);
  });
});
