import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL, planCard, startHarness, USERS, type Harness } from './harness.js';

describe('src/bot audit subcommands, error fallback, transcript', () => {
  let h: Harness;
  const exports: { sinceMs?: number }[] = [];
  beforeAll(async () => {
    h = await startHarness({ deps: {
      audit: {
        record: () => {},
        export: async (q) => { exports.push(q); return { filename: 'audit-cluster-a.jsonl', content: '{"seq":1}\n{"seq":2}\n', chainHead: 'abc123', count: 2 }; },
        verify: async () => ({ ok: true, count: 2, message: 'chain intact up to abc123' }),
      },
    } });
  });
  afterAll(async () => { await h.stop(); });

  it('audit export uploads the file to the channel (files.uploadV2 flow) with the chain head', async () => {
    await h.driver.command(USERS.alice, CHANNEL, 'audit export cluster-a --since 30d --format jsonl');
    const msg = await h.slack.waitFor(() => h.slack.topLevel(CHANNEL).find((m) => m.files?.length), 5000, 'file message');
    // The port gets the instant (epoch ms) 30 days back, as audit-port.ts reads it (it was the bare duration:
    // "events since 1970-01-31", i.e. everything).
    expect(exports).toEqual([{ cluster: 'cluster-a', sinceMs: expect.any(Number), format: 'jsonl' }]);
    expect(Math.abs(Date.now() - 30 * 86_400_000 - exports[0]!.sinceMs!)).toBeLessThan(60_000);
    expect(msg.files?.[0]?.content?.toString()).toBe('{"seq":1}\n{"seq":2}\n');
    expect(msg.text).toContain('Chain head `abc123`');
    expect(h.slack.callsTo('files.getUploadURLExternal').length).toBe(1);
    expect(h.slack.callsTo('files.completeUploadExternal').length).toBe(1);
  });

  it('audit verify answers in the channel', async () => {
    await h.driver.command(USERS.alice, CHANNEL, 'audit verify');
    const m = await h.slack.waitFor(() => h.slack.topLevel(CHANNEL).find((x) => x.text.includes('Audit chain intact')), 5000, 'verify');
    expect(m.text).toContain('2 event(s) checked');
  });

  it('an unexpected error in a button handler is logged and answered, never a crash', async () => {
    const c = await planCard(h, 'cluster-a');
    const original = h.workflows.status.bind(h.workflows);
    h.workflows.status = async () => { throw new TypeError('database is locked'); };
    try {
      const r = await h.driver.clickButton(USERS.alice, c, 'Approve');
      expect(r.status).toBe(200);
      const e = await h.slack.waitFor(() => h.slack.ephemeralsFor(USERS.alice).find((x) => /went wrong on my side/.test(x.text)), 5000, 'error answer');
      expect(e.text).toMatch(/\(ref [a-z0-9]+\)/);
      expect(h.logger.lines.some((l) => l.msg === 'unhandled listener error' && String(l.obj.err).includes('database is locked'))).toBe(true);
    } finally {
      h.workflows.status = original;
    }
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  it('an unexpected error after a production modal submission is answered in the card\'s channel', async () => {
    const c = await planCard(h, 'prod-eu');
    const before = h.driver.lastViewFor(USERS.alice)?.id;
    await h.driver.clickButton(USERS.alice, c, 'Approve');
    const modal = await h.slack.waitFor(() => { const v = h.driver.lastViewFor(USERS.alice); return v && v.id !== before ? v : undefined; }, 5000, 'modal');
    const original = h.workflows.approve.bind(h.workflows);
    h.workflows.approve = async () => { throw new Error('disk I/O error'); };
    try {
      const r = await h.driver.submitView(USERS.alice, modal.id, { cluster_name: { value: 'prod-eu' } });
      expect(r.status).toBe(200);
      const e = await h.slack.waitFor(() => h.slack.ephemeralsFor(USERS.alice).find((x) => x.channel === CHANNEL && /went wrong on my side.*\(ref [a-z0-9]+\)/.test(x.text) && x.via === 'chat.postEphemeral'
        && h.logger.lines.some((l) => l.msg === 'production approval failed')), 5000, 'answer');
      expect(e.text).not.toContain('disk I/O');
    } finally { h.workflows.approve = original; }
  });

  it('the transcript reads like the channel: cards, thread replies, files, ephemeral answers', () => {
    const t = h.slack.transcript(CHANNEL);
    expect(t).toContain('# cluster-a: kube-proxy iptables → ipvs');
    expect(t).toContain('[Approve] [Reject]');
    expect(t).toContain('[file: audit-cluster-a.jsonl, 20 bytes]');
    expect(t).toMatch(/to @alice: .*went wrong on my side/);
  });

  it('calls only Web API methods covered by the manifest scopes (views.open and auth.test need none)', () => {
    const allowed = new Set(['auth.test', 'views.open', 'chat.postMessage', 'chat.update', 'chat.postEphemeral', 'files.getUploadURLExternal',
      'files.completeUploadExternal', 'usergroups.users.list', 'response_url', 'ack']);
    expect([...new Set(h.slack.calls.map((c) => c.method))].filter((x) => !allowed.has(x))).toEqual([]);
  });
});
