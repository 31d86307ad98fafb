// Plays Slack's side of the conversation: sends signed slash commands, button clicks and modal submissions into
// the app's POST /slack/events, or as Socket Mode envelopes when given `socket`, with response_url and trigger_id
// pointing back at the stand-in. Either way the answer is the ack (HTTP body, or the ack's payload). Tests and demo.
import { buttonsIn } from './block-text.js';
import { signedHeaders } from './sign-request.js';
import type { SlackStandIn } from './slack-stand-in.js';
import type { EnvelopeType, SlackSocketMode } from './socket-mode.js';

type Json = Record<string, unknown>;

export interface DriverReply { status: number; text: string; json?: Json }

export class SlackDriver {
  private seq = 0;
  constructor(private readonly o: { eventsUrl: string; signingSecret: string; standIn: SlackStandIn; command?: string; socket?: SlackSocketMode }) {}

  /** HTTP: the signed form post. Socket Mode: the envelope, answered by its ack (payload as the JSON body). */
  private async send(type: EnvelopeType, form: Record<string, string>, payload: Record<string, unknown>): Promise<DriverReply> {
    if (!this.o.socket) return this.post(new URLSearchParams(form).toString());
    const ack = await this.o.socket.deliver(type, payload);
    return ack.payload ? { status: 200, text: JSON.stringify(ack.payload), json: ack.payload } : { status: 200, text: '' };
  }

  async post(body: string, contentType = 'application/x-www-form-urlencoded', headers?: Record<string, string>): Promise<DriverReply> {
    const res = await fetch(this.o.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(headers ?? signedHeaders(this.o.signingSecret, body)) },
      body,
    });
    const text = await res.text();
    let json: Json | undefined;
    try { json = text ? JSON.parse(text) as Json : undefined; } catch { json = undefined; }
    return json ? { status: res.status, text, json } : { status: res.status, text };
  }

  private triggerId(user: string): string { return `T${user}-${++this.seq}`; }

  /** `/ipvs <text>` from user in channel. An ephemeral text in the ack body is recorded like Slack would show it. */
  async command(user: string, channel: string, text: string): Promise<DriverReply> {
    const s = this.o.standIn;
    const form = this.commandForm(user, channel, text);
    const reply = await this.send('slash_commands', form, form);
    if (reply.json && (typeof reply.json.text === 'string' || Array.isArray(reply.json.blocks))) s.recordAckAnswer(channel, user, reply.json);
    return reply;
  }

  /** The form body Slack would send for the command (for load generators that sign and send it elsewhere). */
  commandBody(user: string, channel: string, text: string): string {
    return new URLSearchParams(this.commandForm(user, channel, text)).toString();
  }

  /** The command's fields: form-encoded over HTTP, a JSON object as a slash_commands envelope's payload. */
  commandForm(user: string, channel: string, text: string): Record<string, string> {
    const s = this.o.standIn;
    return {
      token: 'legacy', team_id: s.teamId, team_domain: 'stand-in', channel_id: channel, channel_name: s.channels.get(channel)?.name ?? channel,
      user_id: user, user_name: s.users.get(user)?.name ?? user, command: this.o.command ?? '/ipvs', text,
      api_app_id: 'A0APP', is_enterprise_install: 'false', response_url: s.responseUrl(channel, user), trigger_id: this.triggerId(user),
    };
  }

  /** Clicks the button whose visible text is `buttonText` on the message (channel, ts) as it is now. */
  async clickButton(user: string, where: { channel: string; ts: string }, buttonText: string): Promise<DriverReply> {
    const payload = this.clickPayload(user, where, buttonText);
    return this.send('interactive', { payload: JSON.stringify(payload) }, payload);
  }

  /** The form body of a block_actions click on the button with that visible text. */
  clickBody(user: string, where: { channel: string; ts: string }, buttonText: string): string {
    return new URLSearchParams({ payload: JSON.stringify(this.clickPayload(user, where, buttonText)) }).toString();
  }

  /** The block_actions payload of a click on the button with that visible text. */
  clickPayload(user: string, where: { channel: string; ts: string }, buttonText: string): Record<string, unknown> {
    const s = this.o.standIn;
    const m = s.message(where.channel, where.ts);
    if (!m) throw new Error(`no message ${where.channel}/${where.ts}`);
    const btn = buttonsIn(m.blocks).find((b) => b.text === buttonText);
    if (!btn) throw new Error(`no button "${buttonText}" on ${where.ts}; buttons: ${buttonsIn(m.blocks).map((b) => b.text).join(', ')}`);
    const payload = {
      type: 'block_actions', team: { id: s.teamId, domain: 'stand-in' }, user: { id: user, username: s.users.get(user)?.name ?? user, team_id: s.teamId },
      api_app_id: 'A0APP', token: 'legacy', trigger_id: this.triggerId(user), response_url: s.responseUrl(where.channel, user),
      container: { type: 'message', message_ts: m.ts, channel_id: where.channel, is_ephemeral: false },
      channel: { id: where.channel, name: s.channels.get(where.channel)?.name ?? where.channel },
      message: { type: 'message', ts: m.ts, text: m.text, blocks: m.blocks ?? [], user: m.user },
      state: { values: {} },
      actions: [{ type: 'button', action_id: btn.action_id, block_id: btn.block_id ?? 'b', text: { type: 'plain_text', text: btn.text },
        ...(btn.value !== undefined ? { value: btn.value } : {}), action_ts: String(Date.now() / 1000) }],
    };
    return payload;
  }

  /** The most recent modal opened for `user` (views.open with a trigger id of theirs). */
  lastViewFor(user: string): { id: string; view: Json } | undefined {
    const all = [...this.o.standIn.views.values()].filter((v) => v.user === user);
    const v = all[all.length - 1];
    return v ? { id: v.id, view: v.view } : undefined;
  }

  /** Submits a modal with plain-text input values: { block_id: { action_id: value } }. */
  async submitView(user: string, viewId: string, values: Record<string, Record<string, string>>): Promise<DriverReply> {
    const s = this.o.standIn;
    const v = s.views.get(viewId);
    if (!v) throw new Error(`no view ${viewId}`);
    const stateValues: Record<string, Record<string, Json>> = {};
    for (const [block, actions] of Object.entries(values)) {
      stateValues[block] = Object.fromEntries(Object.entries(actions).map(([a, value]) => [a, { type: 'plain_text_input', value }]));
    }
    const payload = {
      type: 'view_submission', team: { id: s.teamId, domain: 'stand-in' }, user: { id: user, username: s.users.get(user)?.name ?? user, team_id: s.teamId },
      api_app_id: 'A0APP', token: 'legacy', trigger_id: this.triggerId(user),
      view: { ...v.view, id: v.id, hash: v.hash, team_id: s.teamId, state: { values: stateValues } },
      response_urls: [],
    };
    return this.send('interactive', { payload: JSON.stringify(payload) }, payload);
  }
}
