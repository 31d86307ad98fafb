// Slack's side of Socket Mode for the stand-in: apps.connections.open (app-level token only) hands out a one-time
// ws://127.0.0.1 URL; the socket says `hello`, carries envelopes, takes acks by envelope_id, redelivers what is not
// acked in time, and can be told to send `disconnect` or to drop every connection.
// Shapes: hello per @slack/socket-mode src/HelloMessage.ts (num_connections, debug_info, connection_info.app_id);
// envelopes per slackapi/python-slack-sdk tests/slack_sdk/socket_mode/mock_socket_mode_server.py
// (slash_commands accepts_response_payload true, interactive/events_api false, events_api retry_attempt +
// retry_reason "timeout" on a redelivery; java-slack-sdk's EventContext notes `"retry_reason": "timeout"` in
// Socket Mode); acks `{envelope_id, payload}` as SocketModeClient.send() writes them; disconnect
// `{type, reason, debug_info}` with reasons from docs.slack.dev/apis/events-api/using-socket-mode.
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SlackStandIn } from './slack-stand-in.js';

type Json = Record<string, unknown>;

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';
export type DisconnectReason = 'refresh_requested' | 'link_disabled' | 'warning';

export interface SocketEnvelope {
  envelope_id: string; type: EnvelopeType; payload: Json; accepts_response_payload: boolean;
  retry_attempt?: number; retry_reason?: string;
}

export interface Delivery {
  envelope: SocketEnvelope;
  /** How many times it was written to a socket (1 = never redelivered). */
  attempts: number;
  acks: { payload: Json; at: number }[];
  /** Acks the stand-in dropped on purpose (loseAcks), as if they arrived after the deadline. */
  lostAcks: number;
  settled: boolean;
}

export interface Acked { envelopeId: string; attempts: number; payload?: Json }

export interface SocketModeOptions {
  /** App-level tokens apps.connections.open accepts (default one: xapp-1-stand-in). */
  appTokens?: string[];
  appId?: string;
  /** Slack's ack deadline is 3 s; tests may shorten it. */
  ackTimeoutMs?: number;
  /** Deliveries before giving up (Slack retries an event 3 times: 4 in all). */
  maxAttempts?: number;
}

/** Slack answers view_submission's ack payload (response_action) and a command's (the reply); not a click's. */
function acceptsPayload(type: EnvelopeType, payload: Json): boolean {
  return type === 'slash_commands' || (type === 'interactive' && payload.type === 'view_submission');
}

export class SlackSocketMode {
  readonly deliveries = new Map<string, Delivery>();
  /** apps.connections.open answers that handed out a URL. */
  opens = 0;
  /** Sockets that got `hello`. */
  hellos = 0;
  readonly appTokens: Set<string>;
  readonly appId: string;
  private readonly ackTimeoutMs: number;
  private readonly maxAttempts: number;
  private wss!: WebSocketServer;
  private url = '';
  private readonly tickets = new Set<string>();
  private readonly ready = new Set<WebSocket>();
  private queue: string[] = [];
  private next = 0;
  private losing = 0;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters = new Map<string, { resolve: (a: Acked) => void; reject: (e: Error) => void }>();

  private constructor(private readonly standIn: SlackStandIn, o: SocketModeOptions) {
    this.appTokens = new Set(o.appTokens ?? ['xapp-1-stand-in']);
    this.appId = o.appId ?? 'A0APP';
    this.ackTimeoutMs = o.ackTimeoutMs ?? 3_000;
    this.maxAttempts = o.maxAttempts ?? 4;
  }

  /** Starts the WebSocket side and adds apps.connections.open to the stand-in's Web API. */
  static async attach(standIn: SlackStandIn, o: SocketModeOptions = {}): Promise<SlackSocketMode> {
    const sm = new SlackSocketMode(standIn, o);
    await sm.listen();
    standIn.extraMethods.set('apps.connections.open', (_args, auth) => sm.open(auth));
    return sm;
  }

  get appToken(): string { return [...this.appTokens][0]!; }
  /** Open sockets that got `hello`. */
  get connections(): number { return this.ready.size; }

  private async listen(): Promise<void> {
    this.wss = new WebSocketServer({
      host: '127.0.0.1', port: 0,
      // A ticket is good for one connection, as Slack's are; anything else is refused at the upgrade.
      verifyClient: ({ req }) => {
        const ticket = new URL(req.url ?? '/', 'ws://127.0.0.1').searchParams.get('ticket') ?? '';
        return this.tickets.delete(ticket);
      },
    });
    await new Promise<void>((resolve, reject) => { this.wss.on('listening', resolve); this.wss.on('error', reject); });
    this.url = `ws://127.0.0.1:${(this.wss.address() as { port: number }).port}`;
    this.wss.on('connection', (ws) => this.onConnection(ws));
  }

  private open(auth: string): { status: number; body: Json } {
    const token = /^Bearer (\S+)$/.exec(auth)?.[1];
    if (!token) return { status: 200, body: { ok: false, error: 'not_authed' } };
    if (/^xox[a-z]-/.test(token)) return { status: 200, body: { ok: false, error: 'not_allowed_token_type' } };
    if (!this.appTokens.has(token)) return { status: 200, body: { ok: false, error: 'invalid_auth' } };
    const ticket = randomUUID();
    this.tickets.add(ticket);
    this.opens++;
    return { status: 200, body: { ok: true, url: `${this.url}/link/?ticket=${ticket}&app_id=${this.appId}` } };
  }

  private onConnection(ws: WebSocket): void {
    ws.on('message', (data: Buffer) => this.onAck(data.toString('utf8')));
    ws.on('close', () => { this.ready.delete(ws); });
    ws.on('error', () => { this.ready.delete(ws); });
    this.ready.add(ws);
    this.hellos++;
    ws.send(JSON.stringify({
      type: 'hello', num_connections: this.ready.size,
      debug_info: { host: 'applink-stand-in', build_number: 1, approximate_connection_time: 18_060 },
      connection_info: { app_id: this.appId },
    }));
    this.flush();
  }

  /** Sends an envelope (queued until a socket is up); resolves with the first ack, rejects after the last attempt. */
  deliver(type: EnvelopeType, payload: Json): Promise<Acked> {
    const envelope: SocketEnvelope = { envelope_id: randomUUID(), type, payload, accepts_response_payload: acceptsPayload(type, payload) };
    if (type === 'events_api') Object.assign(envelope, { retry_attempt: 0, retry_reason: '' });
    this.deliveries.set(envelope.envelope_id, { envelope, attempts: 0, acks: [], lostAcks: 0, settled: false });
    return new Promise<Acked>((resolve, reject) => {
      this.waiters.set(envelope.envelope_id, { resolve, reject });
      this.queue.push(envelope.envelope_id);
      this.flush();
    });
  }

  /** The next `n` acks are ignored, as if late: the envelopes they answer are redelivered after the deadline. */
  loseAcks(n: number): void { this.losing += n; }

  /** Sends `disconnect` on every socket; Slack's clients then close and open a new connection. */
  disconnect(reason: DisconnectReason): void {
    for (const ws of this.ready) ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-stand-in' } }));
  }

  /** Cuts every connection without a close frame (a network drop). */
  drop(): void {
    for (const ws of [...this.ready]) { this.ready.delete(ws); ws.terminate(); }
  }

  /** Resolves once at least `n` sockets are open (after hello). */
  waitConnected(n = 1, timeoutMs = 15_000): Promise<number> {
    return this.standIn.waitFor(() => (this.ready.size >= n ? this.ready.size : undefined), timeoutMs, `${n} socket mode connection(s)`);
  }

  async stop(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private flush(): void {
    while (this.queue.length > 0 && this.ready.size > 0) {
      const id = this.queue.shift()!;
      const d = this.deliveries.get(id);
      if (!d || d.settled) continue;
      const sockets = [...this.ready];
      const ws = sockets[this.next++ % sockets.length]!;
      d.attempts++;
      if (d.attempts > 1) Object.assign(d.envelope, { retry_attempt: d.attempts - 1, retry_reason: 'timeout' });
      ws.send(JSON.stringify(d.envelope));
      // The deadline runs whether or not the socket survives: Slack cannot tell a lost ack from a slow one.
      this.timers.set(id, setTimeout(() => this.onDeadline(id), this.ackTimeoutMs));
    }
  }

  private onDeadline(id: string): void {
    this.timers.delete(id);
    const d = this.deliveries.get(id);
    if (!d || d.settled) return;
    if (d.attempts >= this.maxAttempts) {
      d.settled = true;
      this.waiters.get(id)?.reject(new Error(`socket mode: envelope ${id} (${d.envelope.type}) not acked after ${d.attempts} deliveries`));
      this.waiters.delete(id);
      return;
    }
    this.queue.push(id);
    this.flush();
  }

  private onAck(text: string): void {
    let msg: { envelope_id?: unknown; payload?: unknown };
    try { msg = JSON.parse(text) as typeof msg; } catch { return; }
    const id = typeof msg.envelope_id === 'string' ? msg.envelope_id : '';
    const d = this.deliveries.get(id);
    if (!d) return;
    if (this.losing > 0) { this.losing--; d.lostAcks++; return; }
    const payload = msg.payload && typeof msg.payload === 'object' ? msg.payload as Json : {};
    d.acks.push({ payload, at: Date.now() });
    if (d.settled) return;
    d.settled = true;
    const t = this.timers.get(id);
    if (t) { clearTimeout(t); this.timers.delete(id); }
    const answer = d.envelope.accepts_response_payload && Object.keys(payload).length > 0 ? { payload } : {};
    this.waiters.get(id)?.resolve({ envelopeId: id, attempts: d.attempts, ...answer });
    this.waiters.delete(id);
  }
}
