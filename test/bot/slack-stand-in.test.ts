import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackStandIn } from '../../src/slack-stand-in/slack-stand-in.js';

describe('src/slack-stand-in', () => {
  let s: SlackStandIn;
  const call = async (method: string, args: Record<string, unknown>, token = 'xoxb-x') => {
    const res = await fetch(`${s.apiUrl}${method}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(args) });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() as Record<string, unknown> };
  };
  beforeAll(async () => {
    s = await SlackStandIn.start();
    s.addUser('U1', 'ann', 'Ann Example');
    s.addChannel('C1', 'ops');
    s.addUsergroup('S1', ['U1']);
  });
  afterAll(async () => { await s.stop(); });

  it('answers like Slack for the methods the bot uses, and refuses without a token', async () => {
    expect((await call('auth.test', {})).body).toMatchObject({ ok: true, user_id: 'U0BOT', bot_id: 'B0BOT' });
    expect((await call('auth.test', {}, 'nope')).body).toEqual({ ok: false, error: 'not_authed' });
    const post = await call('chat.postMessage', { channel: 'C1', text: 'hello' });
    const ts = post.body.ts as string;
    expect((await call('chat.postMessage', { channel: 'C1', text: 'r', thread_ts: ts, reply_broadcast: true })).body.ok).toBe(true);
    expect((await call('chat.postMessage', { channel: 'C1', text: 'r', thread_ts: '1.1' })).body.error).toBe('thread_not_found');
    expect((await call('chat.update', { channel: 'C1', ts, text: 'edited' })).body.ok).toBe(true);
    expect((await call('chat.update', { channel: 'C1', ts: '9.9', text: 'x' })).body.error).toBe('message_not_found');
    expect(s.message('C1', ts)).toMatchObject({ text: 'edited', edits: 1 });
    expect(s.replies('C1', ts).map((m) => m.reply_broadcast)).toEqual([true]);
    expect((await call('users.info', { user: 'U1' })).body).toMatchObject({ user: { real_name: 'Ann Example' } });
    expect((await call('conversations.info', { channel: 'C1' })).body).toMatchObject({ channel: { name: 'ops' } });
    expect((await call('usergroups.users.list', { usergroup: 'S1' })).body).toEqual({ ok: true, users: ['U1'] });
    const v = await call('views.open', { trigger_id: 'TU1-1', view: { type: 'modal', blocks: [] } });
    const id = (v.body.view as { id: string }).id;
    expect((await call('views.update', { view_id: id, view: { type: 'modal', blocks: [{ type: 'divider' }] } })).body.ok).toBe(true);
    expect(s.views.get(id)?.user).toBe('U1');
    expect((await call('no.such', {})).body.error).toBe('unknown_method');
  });

  it('fault knobs: 429 with Retry-After for N calls, then a chosen error, then normal again', async () => {
    s.rateLimit('chat.update', 2, 7);
    const a = await call('chat.update', { channel: 'C1', ts: 'x', text: 'y' });
    expect([a.status, a.retryAfter, a.body.error]).toEqual([429, '7', 'ratelimited']);
    expect((await call('chat.update', { channel: 'C1', ts: 'x', text: 'y' })).status).toBe(429);
    expect((await call('chat.update', { channel: 'C1', ts: 'x', text: 'y' })).body.error).toBe('message_not_found');
    s.failMethod('usergroups.users.list', 'paid_teams_only', 1);
    expect((await call('usergroups.users.list', { usergroup: 'S1' })).body).toEqual({ ok: false, error: 'paid_teams_only' });
    expect((await call('usergroups.users.list', { usergroup: 'S1' })).body.ok).toBe(true);
  });

  it('records response_url posts as ephemeral or in-channel messages', async () => {
    const url = s.responseUrl('C1', 'U1');
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'only you' }) });
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'in_channel', text: 'everyone' }) });
    expect(s.ephemeralsFor('U1').map((e) => e.text)).toEqual(['only you']);
    expect(s.topLevel('C1').some((m) => m.text === 'everyone')).toBe(true);
    expect(s.transcript('C1')).toMatch(/to @ann: only you/);
  });
});
