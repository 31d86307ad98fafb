// A local Slack Web API stand-in (tests and `npm run demo`): the methods the bot calls, with Slack's response
// shapes, a recorder, per-channel message history with threads, and fault knobs (429 + Retry-After, usergroup
// plan errors). The bot reaches it through SLACK_API_URL = `${standIn.apiUrl}`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { renderTranscript } from './transcript.js';

type Json = Record<string, unknown>;

export interface RecordedCall { method: string; args: Json; at: number; response: Json; status: number }

export interface StoredMessage {
  channel: string; ts: string; user: string; text: string; blocks?: unknown[];
  thread_ts?: string; reply_broadcast?: boolean; edits: number; files?: StoredFile[];
  /** Earlier versions, oldest first (chat.update keeps what it replaced): the demo shows the card as first posted. */
  history?: { text: string; blocks?: unknown[] }[];
}
export interface StoredEphemeral { channel: string; user: string; text: string; blocks?: unknown[]; via: 'chat.postEphemeral' | 'response_url' | 'ack'; at: number }
export interface StoredView { id: string; user?: string; trigger_id?: string; view: Json; hash: string }
export interface StoredFile { id: string; filename: string; title?: string; content?: Buffer; channel?: string; thread_ts?: string; initial_comment?: string }
export interface StoredResponse { id: string; channel: string; user: string; body: Json }

const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata']);

/** The upload URL accepts raw bytes or multipart/form-data (what WebClient sends); returns the file's bytes. */
function fileBody(contentType: string, raw: Buffer): Buffer {
  const m = /multipart\/form-data;\s*boundary=("?)([^";]+)\1/i.exec(contentType);
  if (!m) return raw;
  const delim = Buffer.from(`--${m[2]}`);
  const start = raw.indexOf(delim);
  const headerEnd = raw.indexOf('\r\n\r\n', start);
  const next = raw.indexOf(delim, headerEnd);
  if (start < 0 || headerEnd < 0 || next < 0) return raw;
  return raw.subarray(headerEnd + 4, next - 2); // the part ends with CRLF before the next delimiter
}

export class SlackStandIn {
  readonly calls: RecordedCall[] = [];
  readonly messages: StoredMessage[] = [];
  readonly ephemerals: StoredEphemeral[] = [];
  readonly views = new Map<string, StoredView>();
  readonly files = new Map<string, StoredFile>();
  readonly users = new Map<string, { id: string; name: string; real_name?: string; is_bot?: boolean }>();
  readonly usergroups = new Map<string, string[]>();
  readonly channels = new Map<string, { id: string; name: string; is_private: boolean }>();
  readonly botUserId: string;
  readonly botId = 'B0BOT';
  readonly teamId: string;
  /** Set by start(). */
  url = '';
  private server?: Server;
  private seq = 0;
  private tsBase = Math.floor(Date.now() / 1000);
  private rateLimits = new Map<string, { times: number; retryAfterSec: number }>();
  private methodErrors = new Map<string, { times: number; error: string }>();
  private responseTargets = new Map<string, { channel: string; user: string }>();
  private waiters: (() => void)[] = [];
  /** Methods added by extensions (socket-mode.ts adds apps.connections.open); they check their own token type. */
  readonly extraMethods = new Map<string, (args: Json, auth: string) => { status: number; body: Json }>();

  constructor(opts: { botUserId?: string; teamId?: string } = {}) {
    this.botUserId = opts.botUserId ?? 'U0BOT';
    this.teamId = opts.teamId ?? 'T0TEAM';
    this.users.set(this.botUserId, { id: this.botUserId, name: 'ipvs-bot', is_bot: true });
  }

  static async start(opts: { port?: number; botUserId?: string; teamId?: string } = {}): Promise<SlackStandIn> {
    const s = new SlackStandIn(opts);
    await s.listen(opts.port ?? 0);
    return s;
  }

  /** Base for SLACK_API_URL (WebClient appends the method name). */
  get apiUrl(): string { return `${this.url}/api/`; }

  async listen(port: number): Promise<void> {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  // ---- set-up and fault knobs ----
  addUser(id: string, name: string, realName?: string): void { this.users.set(id, { id, name, ...(realName ? { real_name: realName } : {}) }); }
  addUsergroup(id: string, members: string[]): void { this.usergroups.set(id, [...members]); }
  addChannel(id: string, name: string, isPrivate = false): void { this.channels.set(id, { id, name, is_private: isPrivate }); }
  /** The next `times` calls of `method` answer HTTP 429 with Retry-After. */
  rateLimit(method: string, times: number, retryAfterSec = 1): void { this.rateLimits.set(method, { times, retryAfterSec }); }
  /** The next `times` calls of `method` answer `{ok:false, error}` (e.g. usergroups.users.list → 'paid_teams_only'). */
  failMethod(method: string, error: string, times = Number.POSITIVE_INFINITY): void { this.methodErrors.set(method, { times, error }); }
  clearFaults(): void { this.rateLimits.clear(); this.methodErrors.clear(); }

  /** A response_url the bot can post to on behalf of (channel, user), like Slack gives with commands and actions. */
  responseUrl(channel: string, user: string): string {
    const id = `R${++this.seq}`;
    this.responseTargets.set(id, { channel, user });
    return `${this.url}/response/${id}`;
  }

  // ---- reading what happened ----
  callsTo(method: string): RecordedCall[] { return this.calls.filter((c) => c.method === method); }
  message(channel: string, ts: string): StoredMessage | undefined { return this.messages.find((m) => m.channel === channel && m.ts === ts); }
  topLevel(channel: string): StoredMessage[] { return this.messages.filter((m) => m.channel === channel && (!m.thread_ts || m.thread_ts === m.ts)); }
  replies(channel: string, threadTs: string): StoredMessage[] { return this.messages.filter((m) => m.channel === channel && m.thread_ts === threadTs && m.ts !== threadTs); }
  ephemeralsFor(user: string): StoredEphemeral[] { return this.ephemerals.filter((e) => e.user === user); }
  transcript(channel: string): string { return renderTranscript(this, channel); }

  /** Resolves once pred() is true (checked after every request), or rejects after timeoutMs. */
  async waitFor<T>(pred: () => T | undefined | false | null, timeoutMs = 5_000, what = 'condition'): Promise<T> {
    const first = pred();
    if (first) return first;
    return new Promise<T>((resolve, reject) => {
      // Checked after every request and every 10 ms (the app may change state after its last Slack call).
      const check = (): void => {
        const v = pred();
        if (v) { clearTimeout(timer); clearInterval(poll); this.waiters = this.waiters.filter((w) => w !== check); resolve(v); }
      };
      const poll = setInterval(check, 10);
      const timer = setTimeout(() => {
        clearInterval(poll);
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`slack stand-in: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(check);
    });
  }

  // ---- HTTP ----
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.url);
    try {
      if (url.pathname.startsWith('/upload/')) {
        const f = this.files.get(url.pathname.slice('/upload/'.length));
        if (!f) return this.send(res, 404, { ok: false, error: 'file_not_found' });
        f.content = fileBody(req.headers['content-type'] ?? '', raw);
        this.send(res, 200, { ok: true });
      } else if (url.pathname.startsWith('/response/')) {
        const target = this.responseTargets.get(url.pathname.slice('/response/'.length));
        if (!target) return this.send(res, 404, { ok: false, error: 'expired_url' });
        const body = JSON.parse(raw.toString('utf8') || '{}') as Json;
        this.onResponseUrl(target, body);
        this.send(res, 200, { ok: true });
      } else if (url.pathname.startsWith('/api/')) {
        const method = url.pathname.slice('/api/'.length);
        const args = this.parseArgs(req, raw, url);
        const auth = req.headers.authorization ?? '';
        const { status, body, headers } = this.call(method, args, auth);
        this.calls.push({ method, args, at: Date.now(), response: body, status });
        this.send(res, status, body, headers);
      } else {
        this.send(res, 404, { ok: false, error: 'unknown_path' });
      }
    } catch (err) {
      this.send(res, 500, { ok: false, error: 'stand_in_error', detail: String(err) });
    } finally {
      for (const w of [...this.waiters]) w();
    }
  }

  private send(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  }

  private parseArgs(req: IncomingMessage, raw: Buffer, url: URL): Json {
    const ct = req.headers['content-type'] ?? '';
    let args: Json = Object.fromEntries(url.searchParams);
    if (ct.includes('application/json')) args = { ...args, ...(JSON.parse(raw.toString('utf8') || '{}') as Json) };
    else if (raw.length > 0) args = { ...args, ...(parseQuery(raw.toString('utf8')) as Json) };
    for (const k of Object.keys(args)) {
      const v = args[k];
      if (JSON_FIELDS.has(k) && typeof v === 'string') {
        try { args[k] = JSON.parse(v); } catch { /* leave as given; the method reports invalid_arguments */ }
      }
    }
    return args;
  }

  private call(method: string, a: Json, auth: string): { status: number; body: Json; headers?: Record<string, string> } {
    const rl = this.rateLimits.get(method);
    if (rl && rl.times > 0) {
      rl.times--;
      return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(rl.retryAfterSec) } };
    }
    const fail = this.methodErrors.get(method);
    if (fail && fail.times > 0) {
      fail.times--;
      return { status: 200, body: { ok: false, error: fail.error } };
    }
    const extra = this.extraMethods.get(method);
    if (extra) return extra(a, auth);
    // An app-level token only opens Socket Mode connections; Slack refuses it elsewhere with this error.
    if (/^Bearer xapp-/.test(auth) && method !== 'api.test') return { status: 200, body: { ok: false, error: 'not_allowed_token_type' } };
    if (!/^Bearer xox[bp]-/.test(auth) && method !== 'api.test') return { status: 200, body: { ok: false, error: 'not_authed' } };
    const ok = (body: Json = {}): { status: number; body: Json } => ({ status: 200, body: { ok: true, ...body } });
    const err = (error: string): { status: number; body: Json } => ({ status: 200, body: { ok: false, error } });
    const str = (k: string): string | undefined => (typeof a[k] === 'string' ? a[k] as string : undefined);

    switch (method) {
      case 'api.test': return ok();
      case 'auth.test':
        return ok({ url: 'https://stand-in.slack.test/', team: 'Stand-in', user: 'ipvs-bot', team_id: this.teamId, user_id: this.botUserId, bot_id: this.botId });
      case 'chat.postMessage': {
        const channel = str('channel');
        if (!channel) return err('channel_not_found');
        if (!str('text') && !Array.isArray(a.blocks)) return err('no_text');
        const thread = str('thread_ts');
        if (thread && !this.message(channel, thread)) return err('thread_not_found');
        const m: StoredMessage = { channel, ts: this.nextTs(), user: this.botUserId, text: str('text') ?? '', edits: 0 };
        if (Array.isArray(a.blocks)) m.blocks = a.blocks;
        if (thread) m.thread_ts = thread;
        if (a.reply_broadcast === 'true' || a.reply_broadcast === true) m.reply_broadcast = true;
        this.messages.push(m);
        return ok({ channel, ts: m.ts, message: { text: m.text, ts: m.ts, user: m.user, ...(m.blocks ? { blocks: m.blocks } : {}) } });
      }
      case 'chat.update': {
        const m = this.message(str('channel') ?? '', str('ts') ?? '');
        if (!m) return err('message_not_found');
        (m.history ??= []).push({ text: m.text, ...(m.blocks ? { blocks: m.blocks } : {}) });
        if (typeof a.text === 'string') m.text = a.text;
        if (Array.isArray(a.blocks)) m.blocks = a.blocks;
        m.edits++;
        return ok({ channel: m.channel, ts: m.ts, text: m.text });
      }
      case 'chat.postEphemeral': {
        const channel = str('channel'); const user = str('user');
        if (!channel || !user) return err('invalid_arguments');
        const e: StoredEphemeral = { channel, user, text: str('text') ?? '', via: 'chat.postEphemeral', at: Date.now() };
        if (Array.isArray(a.blocks)) e.blocks = a.blocks;
        this.ephemerals.push(e);
        return ok({ message_ts: this.nextTs() });
      }
      case 'views.open': case 'views.push': {
        if (!str('trigger_id')) return err('invalid_trigger_id');
        if (!a.view || typeof a.view !== 'object') return err('invalid_arguments');
        const v: StoredView = { id: `V${++this.seq}`, trigger_id: str('trigger_id')!, view: a.view as Json, hash: `h${this.seq}` };
        const u = /^T(U[A-Z0-9]+)-/.exec(v.trigger_id ?? '');
        if (u?.[1]) v.user = u[1];
        this.views.set(v.id, v);
        return ok({ view: { id: v.id, hash: v.hash, ...(a.view as Json) } });
      }
      case 'views.update': {
        const v = this.views.get(str('view_id') ?? '');
        if (!v) return err('not_found');
        v.view = a.view as Json; v.hash = `h${++this.seq}`;
        return ok({ view: { id: v.id, hash: v.hash, ...v.view } });
      }
      case 'usergroups.users.list': {
        const members = this.usergroups.get(str('usergroup') ?? '');
        return members ? ok({ users: members }) : err('no_such_subteam');
      }
      case 'users.info': {
        const u = this.users.get(str('user') ?? '');
        return u ? ok({ user: { ...u, team_id: this.teamId, profile: { real_name: u.real_name ?? u.name, display_name: u.name } } }) : err('user_not_found');
      }
      case 'conversations.info': {
        const c = this.channels.get(str('channel') ?? '');
        return c ? ok({ channel: { ...c, is_channel: !c.is_private, is_member: true } }) : err('channel_not_found');
      }
      case 'files.getUploadURLExternal': {
        const filename = str('filename'); const length = Number(a.length);
        if (!filename || !Number.isFinite(length)) return err('invalid_arguments');
        const id = `F${++this.seq}`;
        this.files.set(id, { id, filename });
        return ok({ upload_url: `${this.url}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        const list = Array.isArray(a.files) ? a.files as { id: string; title?: string }[] : [];
        const stored: StoredFile[] = [];
        for (const f of list) {
          const file = this.files.get(f.id);
          if (!file || !file.content) return err('file_not_found');
          if (f.title) file.title = f.title;
          const ch = str('channel_id'); const th = str('thread_ts'); const comment = str('initial_comment');
          if (ch) file.channel = ch;
          if (th) file.thread_ts = th;
          if (comment) file.initial_comment = comment;
          stored.push(file);
        }
        const channel = str('channel_id');
        if (channel) {
          const m: StoredMessage = { channel, ts: this.nextTs(), user: this.botUserId, text: str('initial_comment') ?? '', edits: 0, files: stored };
          const th = str('thread_ts');
          if (th) m.thread_ts = th;
          this.messages.push(m);
        }
        return ok({ files: stored.map((f) => ({ id: f.id, title: f.title ?? f.filename, name: f.filename })) });
      }
      default:
        return err('unknown_method');
    }
  }

  private onResponseUrl(target: { channel: string; user: string }, body: Json, via: 'response_url' | 'ack' = 'response_url'): void {
    const text = typeof body.text === 'string' ? body.text : '';
    const blocks = Array.isArray(body.blocks) ? body.blocks : undefined;
    this.calls.push({ method: via, args: body, at: Date.now(), response: { ok: true }, status: 200 });
    if (body.response_type === 'in_channel') {
      const m: StoredMessage = { channel: target.channel, ts: this.nextTs(), user: this.botUserId, text, edits: 0 };
      if (blocks) m.blocks = blocks;
      this.messages.push(m);
      return;
    }
    const e: StoredEphemeral = { channel: target.channel, user: target.user, text, via, at: Date.now() };
    if (blocks) e.blocks = blocks;
    this.ephemerals.push(e);
  }

  /** Records an ephemeral answer the app gave in its HTTP ack body (what Slack shows the user for a command). */
  recordAckAnswer(channel: string, user: string, body: Json): void {
    this.onResponseUrl({ channel, user }, body, 'ack');
    for (const w of [...this.waiters]) w();
  }

  private nextTs(): string {
    this.seq++;
    return `${this.tsBase}.${String(this.seq).padStart(6, '0')}`;
  }
}
