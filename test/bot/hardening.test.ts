// Issue #14 items 1, 2, 6, 7, 8 and 12 through signed requests into the real Bolt app and the Slack stand-in:
// who may reject, escaping of user text, the channel restriction with run ids, the production modal's name check,
// bounded durations, signature timestamps, replayed interactions, user-less payloads and log levels of typos.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { signedHeaders } from '../support/slack-signing.js';
import { CHANNEL, SECRET, planCard, startHarness, USERS, type Harness } from './harness.js';

const PRIVATE = 'C0PRIVATE';
const NASTY = '<!channel> see <http://evil.example|innocent> & more';

describe('#14 Slack-side hardening (signed HTTP, FakeWorkflows)', () => {
  let h: Harness;
  const exports: { cluster?: string; sinceMs?: number }[] = [];
  beforeAll(async () => {
    h = await startHarness({ deps: { audit: {
      record: (e) => { h.audit.push(e); },
      export: async (q) => { exports.push(q); return { filename: 'audit.jsonl', content: '{}\n', chainHead: 'abc', count: 1 }; },
    } } });
    h.slack.addChannel(PRIVATE, 'private-ops');
  });
  afterAll(async () => { await h.stop(); });
  beforeEach(() => {
    for (const r of h.workflows.runs.values()) if (['awaiting_approval', 'running'].includes(r.state)) r.state = 'cancelled';
  });

  const ephemeral = (user: string, re: RegExp) => h.slack.waitFor(() => h.slack.ephemeralsFor(user).find((e) => re.test(e.text)), 5000, `ephemeral ${re}`);
  const newModal = async (user: string, click: () => Promise<unknown>) => {
    const before = h.driver.lastViewFor(user)?.id;
    await click();
    return h.slack.waitFor(() => { const v = h.driver.lastViewFor(user); return v && v.id !== before ? v : undefined; }, 5000, 'modal');
  };
  /** Everything the bot sent to Slack, as JSON (messages, updates, ephemerals, response_url answers). */
  const allPosted = (): string => JSON.stringify([...h.slack.calls.map((c) => c.args), ...h.slack.ephemerals]);
  const callsOf = (method: string) => h.workflows.calls.filter((c) => c.method === method);

  describe('item 1: Reject', () => {
    it('a workspace member who is neither requester nor approver cannot reject: the button refuses, a forged submission too', async () => {
      const c = await planCard(h, 'cluster-a');
      await h.driver.clickButton(USERS.mallory, c, 'Reject');
      await ephemeral(USERS.mallory, /Only the requester or an approver of this cluster can reject/);
      expect(h.driver.lastViewFor(USERS.mallory)).toBeUndefined();
      // Bob may reject; Mallory submits Bob's modal (a signed view_submission with her user id).
      const modal = await newModal(USERS.bob, () => h.driver.clickButton(USERS.bob, c, 'Reject'));
      const r = await h.driver.submitView(USERS.mallory, modal.id, { reject_reason: { value: 'I just do not like it' } });
      expect(r.json).toMatchObject({ response_action: 'errors' });
      expect(JSON.stringify(r.json)).toMatch(/requester or an approver/);
      expect(h.workflows.runs.get(c.runId)?.state).toBe('awaiting_approval');
      expect(callsOf('reject')).toEqual([]);
      expect(h.audit).toContainEqual(expect.objectContaining({ actor: USERS.mallory, runId: c.runId, type: 'reject.refused' }));
    });

    it('the reject reason is escaped wherever it is posted: no @channel, no disguised link; the rejecter is a real mention', async () => {
      const c = await planCard(h, 'cluster-a');
      const modal = await newModal(USERS.bob, () => h.driver.clickButton(USERS.bob, c, 'Reject'));
      const r = await h.driver.submitView(USERS.bob, modal.id, { reject_reason: { value: NASTY } });
      expect(r.status).toBe(200);
      await h.slack.waitFor(() => h.slack.replies(CHANNEL, c.ts).find((m) => m.reply_broadcast), 5000, 'broadcast');
      await h.slack.waitFor(() => /Rejected/.test(JSON.stringify(h.slack.message(CHANNEL, c.ts)?.blocks)), 5000, 'card update');
      const posted = allPosted();
      expect(posted).not.toContain('<!channel>');
      expect(posted).not.toContain('<http://evil');
      expect(posted).toContain('&lt;!channel&gt;');
      expect(JSON.stringify(h.slack.message(CHANNEL, c.ts)?.blocks)).toContain('<@U0BOB>');
      expect(JSON.stringify(h.slack.message(CHANNEL, c.ts)?.blocks)).not.toContain('&lt;@U0BOB&gt;');
    });
  });

  describe('item 2: channel restriction through run ids', () => {
    async function lockedDownRun(): Promise<string> {
      const before = h.slack.topLevel(PRIVATE).length;
      await h.driver.command(USERS.requester, PRIVATE, 'plan locked-down');
      await h.slack.waitFor(() => h.slack.topLevel(PRIVATE)[before], 5000, 'card in the private channel');
      return [...h.workflows.runs.values()].filter((r) => r.cluster === 'locked-down').at(-1)!.runId;
    }

    it('rollback <run-id>, status <run-id>, status <cluster> and cancel <run-id> from another channel are refused before any work', async () => {
      const runId = await lockedDownRun();
      const cardsBefore = h.slack.topLevel(CHANNEL).length;
      for (const text of [`status ${runId}`, 'status locked-down', `cancel ${runId}`]) {
        const r = await h.driver.command(USERS.alice, CHANNEL, text);
        expect(r.json?.text, text).toMatch(/can only be managed from <#C0PRIVATE>/);
      }
      h.workflows.runs.get(runId)!.state = 'succeeded';
      const r = await h.driver.command(USERS.alice, CHANNEL, `rollback ${runId}`);
      expect(r.json?.text).toMatch(/can only be managed from <#C0PRIVATE>/);
      expect(callsOf('rollback')).toEqual([]);
      expect(callsOf('cancel')).toEqual([]);
      expect(h.slack.topLevel(CHANNEL).length).toBe(cardsBefore);
      // From the allowed channel the same run id works.
      const ok = await h.driver.command(USERS.alice, PRIVATE, `status ${runId}`);
      expect(ok.status).toBe(200);
      await ephemeral(USERS.alice, new RegExp(`1 run`));
    });

    it('status without a target lists only clusters allowed in this channel; audit export without a cluster is refused where not every cluster is allowed', async () => {
      const runId = await lockedDownRun();
      const c = await planCard(h, 'cluster-a');
      const n = h.slack.ephemeralsFor(USERS.carol).length;
      await h.driver.command(USERS.carol, CHANNEL, 'status');
      const answer = await h.slack.waitFor(() => h.slack.ephemeralsFor(USERS.carol).slice(n).find((e) => e.via === 'response_url'), 5000, 'status answer');
      const text = JSON.stringify(answer.blocks);
      expect(text).toContain(c.runId);
      expect(text).not.toContain(runId);
      expect(text).toMatch(/1 run\(s\) of clusters not managed from this channel are not shown/);
      const ex = await h.driver.command(USERS.carol, CHANNEL, 'audit export');
      expect(ex.json?.text).toMatch(/not every cluster's audit trail.*cluster-a/is);
      expect(exports).toEqual([]);
      await h.driver.command(USERS.carol, PRIVATE, 'audit export');
      await h.slack.waitFor(() => exports.length === 1, 5000, 'export from the private channel');
    });
  });

  it('item 6: the production modal compares the typed name with the run\'s cluster, not with private_metadata', async () => {
    const c = await planCard(h, 'prod-eu');
    const modal = await newModal(USERS.carol, () => h.driver.clickButton(USERS.carol, c, 'Approve'));
    const stored = h.slack.views.get(modal.id)!;
    const meta = JSON.parse(String(stored.view.private_metadata)) as Record<string, string>;
    stored.view = { ...stored.view, private_metadata: JSON.stringify({ ...meta, cluster: 'anything' }) };
    const r = await h.driver.submitView(USERS.carol, modal.id, { cluster_name: { value: 'anything' } });
    expect(r.json).toEqual({ response_action: 'errors', errors: { cluster_name: 'Type the cluster name exactly: prod-eu' } });
    expect(h.workflows.runs.get(c.runId)?.approvals).toEqual([]);
  });

  describe('item 7: bounded durations', () => {
    it('--since 99999999999d is refused in the ack, with the limit; nothing is exported', async () => {
      const r = await h.driver.command(USERS.alice, CHANNEL, 'audit export cluster-a --since 99999999999d');
      expect(r.json?.text).toMatch(/--since 99999999999d.*at most 36500d/);
      expect(exports.filter((e) => e.cluster === 'cluster-a')).toEqual([]);
    });

    it('approvalTtl above 30 days is a config error naming its path; 30d is fine', () => {
      const yaml = (ttl: string) => `clusters:\n  - name: a\n    approvers: { users: [U0ALICE] }\n    approvalTtl: ${ttl}\n`;
      const env = { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SECRET };
      for (const bad of ['99999999999d', '31d', '1e9']) {
        let err: unknown;
        try { loadConfig(env, { text: yaml(bad) }); } catch (e) { err = e; }
        expect(err, bad).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).problems, bad).toContainEqual({ path: 'clusters[0].approvalTtl', message: expect.stringMatching(/at most 30d|duration/) });
      }
      expect((() => { try { loadConfig(env, { text: yaml('31d') }); } catch (e) { return (e as ConfigError).problems[0]?.message; } })()).toMatch(/at most 30d/);
      expect(loadConfig(env, { text: yaml('30d') }).clusters[0]?.approvalTtlMs).toBe(30 * 86_400_000);
    });
  });

  describe('item 8: signatures and replays', () => {
    const body = (text: string, trigger: string) => new URLSearchParams({
      team_id: 'T0TEAM', channel_id: CHANNEL, user_id: USERS.requester, command: '/ipvs', text,
      response_url: h.slack.responseUrl(CHANNEL, USERS.requester), trigger_id: trigger,
    }).toString();

    it('refuses a timestamp more than 5 minutes in the future, and a fractional one; 4 minutes ahead is fine', async () => {
      const now = Math.floor(Date.now() / 1000);
      const b = body('help', 'ts-1');
      expect((await h.driver.post(b, undefined, signedHeaders(SECRET, b, now + 600))).status).toBe(401);
      expect((await h.driver.post(b, undefined, signedHeaders(SECRET, b, now + 0.5))).status).toBe(401);
      expect((await h.driver.post(b, undefined, { 'x-slack-request-timestamp': `${now}.0`, 'x-slack-signature': signedHeaders(SECRET, b, now)['x-slack-signature']! })).status).toBe(401);
      expect(h.logger.lines.some((l) => l.level === 'warn' && /timestamp/.test(l.msg ?? ''))).toBe(true);
      expect((await h.driver.post(b, undefined, signedHeaders(SECRET, b, now + 240))).status).toBe(200);
    });

    it('a replayed signed command or click (same payload twice) acts once', async () => {
      const b = body('plan cluster-a', 'replay-1');
      const headers = signedHeaders(SECRET, b);
      const n0 = callsOf('plan').length;
      const first = await h.driver.post(b, undefined, headers);
      const second = await h.driver.post(b, undefined, headers);
      expect([first.status, second.status]).toEqual([200, 200]);
      await h.slack.waitFor(() => callsOf('attachMessage').some((c) => h.workflows.runs.get(c.args[0] as string)?.requester === USERS.requester), 5000, 'card');
      await new Promise((r) => setTimeout(r, 300));
      expect(callsOf('plan').length - n0).toBe(1);
      // Approve on a 2-approval cluster, the same click body twice: one approve call, one answer.
      for (const r of h.workflows.runs.values()) if (r.state === 'awaiting_approval') r.state = 'cancelled';
      const c2 = await planCard(h, 'cluster-b');
      const click = h.driver.clickBody(USERS.alice, c2, 'Approve');
      const ch = signedHeaders(SECRET, click);
      await h.driver.post(click, undefined, ch);
      await h.driver.post(click, undefined, ch);
      await ephemeral(USERS.alice, /counts \(1\/2\)/);
      await new Promise((r) => setTimeout(r, 300));
      expect(callsOf('approve').filter((c) => c.args[0] === c2.runId)).toHaveLength(1);
      expect(h.slack.ephemeralsFor(USERS.alice).filter((e) => /already approved/.test(e.text))).toEqual([]);
    });
  });

  describe('item 12: smaller', () => {
    it('a typo is logged at info or warn, never error', async () => {
      const before = h.logger.lines.length;
      await h.driver.command(USERS.alice, CHANNEL, 'rollback no-such-cluster');
      await ephemeral(USERS.alice, /no-such-cluster/);
      const lines = h.logger.lines.slice(before);
      expect(lines.filter((l) => l.level === 'error')).toEqual([]);
      expect(lines.some((l) => ['info', 'warn'].includes(l.level) && l.obj.what === 'rollback')).toBe(true);
    });

    it('a signed payload without a user gets 200 and a log line, not 500', async () => {
      const c = await planCard(h, 'cluster-a');
      const payload = h.driver.clickPayload(USERS.alice, c, 'Approve');
      delete payload.user;
      const b = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      const before = h.logger.lines.length;
      const r = await h.driver.post(b);
      expect(r.status).toBe(200);
      expect(h.logger.lines.slice(before).some((l) => l.level === 'warn' && /without a user/.test(l.msg ?? ''))).toBe(true);
      expect(callsOf('approve').filter((x) => x.args[0] === c.runId)).toEqual([]);
      const view = { type: 'view_submission', team: { id: 'T0' }, view: { id: 'V1', callback_id: 'ipvs_reject_modal', private_metadata: '{}', state: { values: {} } } };
      expect((await h.driver.post(new URLSearchParams({ payload: JSON.stringify(view) }).toString())).status).toBe(200);
      const cmd = new URLSearchParams({ team_id: 'T0', channel_id: CHANNEL, command: '/ipvs', text: 'plan cluster-a', response_url: h.slack.responseUrl(CHANNEL, USERS.alice) }).toString();
      expect((await h.driver.post(cmd)).status).toBe(200);
    });
  });
});
