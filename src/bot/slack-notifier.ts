// The engine's Notifier for Slack: one queue per run. The card (run.message) is chat.update'd at most once per
// second with the latest status (coalesced); the thread stays quiet (issue #15): prep results and the run's notes
// (snapshot saved, config.conf switched) go out as one summary reply before the first node's; each node gets one
// reply when it is done (restart + verify + cleanup together), a failure at once with its detail; the final result
// is broadcast to the channel with the run's closing notes. Every message's `text` is a sentence with the status in
// words. A 429 pauses that run's queue for Retry-After and retries: nothing dropped. Successful nodes that are
// waiting together go out as one reply (up to NODE_RESULTS_PER_REPLY): Slack takes about one message a second per
// channel. Queued results are kept as events and rendered when sent; each Job's full JSON is in the audit log.
import type { Notifier, RunEvent, RunStatus } from '../workflows/kube-proxy-mode/api.js';
import type { Clock, Logger, TimerHandle } from '../workflows/engine/ports.js';
import type { RenderStore } from '../db/render-store.js';
import { runCard, stateLabel, stateWords, TERMINAL } from './views/run-card.js';
import { nodeResultLine, nodeResultView, type NodeEvent } from './views/node-result.js';
import { prepSummaryView } from './views/prep-summary.js';
import { decisionPost } from './views/decision-view.js';
import { context, esc, reasonText, section, truncate } from './views/text.js';

/** The Slack calls the notifier makes; a WebClient created with rejectRateLimitedCalls satisfies it. */
export interface ChatApi {
  chat: {
    postMessage(args: { channel: string; text: string; blocks?: unknown[]; thread_ts?: string; reply_broadcast?: boolean }): Promise<unknown>;
    update(args: { channel: string; ts: string; text: string; blocks?: unknown[] }): Promise<unknown>;
  };
}

export interface SlackNotifierOptions {
  client: ChatApi;
  clock: Clock;
  logger: Logger;
  minIntervalMs?: number;
  /** Finds a run's card after a restart when an event arrives before any state event says where it is. */
  lookup?: (runId: string) => Promise<RunStatus | undefined>;
  isProduction?: (cluster: string) => boolean;
  /** Counts Slack failures by Web API method (Prometheus: slack_api_errors_total, slack_rate_limited_total). */
  metrics?: { slackApiError(method: string): void; slackRateLimited(method: string): void };
  /** Where what each card showed is kept (issue #14 item 5): re-rendered on start when the run moved on since. */
  renders?: RenderStore;
}

type ThreadPost = { text: string; blocks?: unknown[]; broadcast?: boolean }
  | { node: NodeEvent[] }
  | { summary: { prep: NodeEvent[]; notes: string[]; total?: number } };

export const NODE_RESULTS_PER_REPLY = 10;
/** Phases after which a node is not done yet: its reply waits for the verify result. */
const IN_PROGRESS = new Set(['restarting', 'restarted']);

/** How many queued posts the next reply carries, and the reply. */
function nextReply(posts: ThreadPost[]): { count: number; text: string; blocks?: unknown[]; broadcast?: boolean } {
  const first = posts[0]!;
  if ('summary' in first) return { count: 1, ...prepSummaryView(first.summary.prep, first.summary.notes, first.summary.total) };
  if (!('node' in first)) return { count: 1, ...first };
  let count = 1;
  if (isOkNode(first)) while (count < Math.min(posts.length, NODE_RESULTS_PER_REPLY) && isOkNode(posts[count]!)) count++;
  if (count === 1) return { count, ...nodeResultView(first.node) };
  const lines = posts.slice(0, count).map((p) => nodeResultLine((p as { node: NodeEvent[] }).node));
  return {
    count,
    text: truncate(lines.map((l) => l.text).join('\n'), 3000),
    blocks: [...lines.map((l) => l.block), context(`${count} nodes done · each Job's full JSON is in the audit log (/ipvs audit export)`)],
  };
}
const isOkNode = (p: ThreadPost): boolean => 'node' in p && p.node.every((e) => e.ok);

/** The final message, also sent to the channel: the outcome in words, the reason, and the run's closing notes. */
function finalPost(s: RunStatus, notes: string[]): { text: string; blocks: unknown[]; broadcast: true } {
  const change = `kube-proxy on ${s.cluster} ${s.plan.currentMode} → ${s.plan.targetMode}`;
  const text = [`${stateWords(s)}: ${change} (run ${s.runId}).`, ...(s.reason ? [`Reason: ${reasonText(s.reason)}`] : []), ...notes.map(esc)].join(' ');
  const body = `${stateLabel(s)}: kube-proxy on *${esc(s.cluster)}* ${s.plan.currentMode} → ${s.plan.targetMode} (run \`${esc(s.runId)}\`)${s.reason ? `\n*Reason*: ${reasonText(s.reason)}` : ''}`;
  const blocks = [section(truncate(body, 3000)), ...(notes.length ? [section(truncate(notes.map((n) => `• ${esc(n)}`).join('\n'), 3000))] : [])];
  return { text: truncate(text, 3000), blocks, broadcast: true };
}

interface RunQueue {
  loc?: { channel: string; ts: string };
  latest?: RunStatus;
  /** The run's version (last audit seq) when `latest` was committed. */
  latestVersion?: number;
  cardDirty: boolean;
  lastCardAt: number;
  posts: ThreadPost[];
  busy: boolean;
  blockedUntil: number;
  timer?: TimerHandle;
  broadcastDone: boolean;
  lookupStarted: boolean;
  /** Held for the summary reply: prep results and log notes not sent yet. */
  prep: NodeEvent[];
  notes: string[];
  /** Results of nodes that are not done yet (restarting, restarted), by node. */
  partial: Map<string, NodeEvent[]>;
}

function retryAfterMs(err: unknown): number | undefined {
  const e = err as { code?: string; retryAfter?: number; statusCode?: number };
  if (e?.code === 'slack_webapi_rate_limited_error') return Math.max(1, e.retryAfter ?? 1) * 1000;
  return undefined;
}

export class SlackNotifier implements Notifier {
  private readonly runs = new Map<string, RunQueue>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly minInterval: number;

  constructor(private readonly o: SlackNotifierOptions) {
    this.minInterval = o.minIntervalMs ?? 1000;
  }

  notify(event: RunEvent): void {
    const q = this.queue(event.runId);
    if (event.type === 'state') {
      const wasWaiting = q.latest?.state === 'waiting_operator';
      q.latest = event.status;
      q.latestVersion = this.stored('version', () => this.o.renders?.versionOf(event.runId), event.runId);
      if (event.status.message && !q.loc) q.loc = event.status.message;
      q.cardDirty = true;
      const terminal = TERMINAL.has(event.status.state);
      if (terminal || event.status.state === 'waiting_operator') {
        // Whatever is held goes out now: nobody would send it later, and an operator needs it to decide.
        for (const events of q.partial.values()) q.posts.push({ node: events });
        q.partial.clear();
        if (terminal) {
          if (q.prep.length) this.pushSummary(q, false);
          if (!q.broadcastDone) {
            q.broadcastDone = true;
            q.posts.push(finalPost(event.status, q.notes.splice(0)));
          }
        } else {
          this.pushSummary(q, true);
          // The operator is asked in the thread too, once per pause, with the same buttons as the card.
          if (!wasWaiting) q.posts.push(decisionPost(event.status));
        }
      }
    } else if (event.type === 'node') {
      const e: NodeEvent = { node: event.node, phase: event.phase, ok: event.ok, result: event.result };
      if (event.phase === 'prep') q.prep.push(e);
      else {
        const events = [...(q.partial.get(event.node) ?? []), e];
        if (event.ok && IN_PROGRESS.has(event.phase)) q.partial.set(event.node, events);
        else {
          q.partial.delete(event.node);
          this.pushSummary(q, true);
          q.posts.push({ node: events });
        }
      }
    } else {
      q.notes.push(event.text);
    }
    this.kick(event.runId);
  }

  /** Queues the held prep results (and the notes, unless they are kept for the final message) as one reply. */
  private pushSummary(q: RunQueue, withNotes: boolean): void {
    const notes = withNotes ? q.notes.splice(0) : [];
    if (q.prep.length === 0 && notes.length === 0) return;
    const total = q.latest?.plan.nodes.length;
    q.posts.push({ summary: { prep: q.prep.splice(0), notes, ...(total !== undefined ? { total } : {}) } });
  }

  /** Keeps what each card showed in the DB from now on (the runtime attaches it once the store is migrated). */
  useRenderStore(renders: RenderStore): void {
    this.o.renders = renders;
  }

  /**
   * After a restart: re-renders the card of every run that changed since its card was last updated, and posts the
   * final message of a finished run whose final message never went out (the process died first).
   */
  resumeCards(lookup: (runId: string) => RunStatus | undefined): number {
    const stale = this.stored('stale runs', () => this.o.renders?.stale(), '') ?? [];
    for (const s of stale) {
      const status = lookup(s.runId);
      if (!status) continue;
      this.queue(s.runId).broadcastDone = s.finalPosted;
      this.o.logger.info({ runId: s.runId, state: status.state }, 'run card behind the run after a restart; rendering it again');
      this.notify({ type: 'state', runId: s.runId, status });
    }
    return stale.length;
  }

  /** A render-store call; a DB that cannot be written (full disk) must not stop Slack updates. */
  private stored<T>(what: string, f: () => T, runId: string): T | undefined {
    try {
      return f();
    } catch (err) {
      this.o.logger.warn({ runId, err: (err as Error)?.message ?? String(err) }, `slack notifier: could not read or record the card ${what}`);
      return undefined;
    }
  }

  /** Where the run's card is (called by the bot right after posting it). */
  attach(runId: string, channel: string, ts: string): void {
    const q = this.queue(runId);
    q.loc = { channel, ts };
    this.kick(runId);
  }

  /** Resolves when no Slack call is in flight (timers may still be pending: advance the clock). */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  /** Work not yet delivered, for tests and shutdown: thread posts queued + cards waiting for an update (results held for
   * a summary or a node's one reply are not due yet and not counted). */
  backlog(): number {
    let n = 0;
    for (const q of this.runs.values()) n += q.posts.length + (q.cardDirty && q.loc ? 1 : 0);
    return n;
  }

  private queue(runId: string): RunQueue {
    let q = this.runs.get(runId);
    if (!q) {
      q = { cardDirty: false, lastCardAt: Number.NEGATIVE_INFINITY, posts: [], busy: false, blockedUntil: 0, broadcastDone: false, lookupStarted: false, prep: [], notes: [], partial: new Map() };
      this.runs.set(runId, q);
    }
    return q;
  }

  private kick(runId: string): void {
    const q = this.queue(runId);
    if (q.busy) return;
    if (!q.loc) { this.startLookup(runId, q); return; }
    const p = this.pump(runId, q).catch((err: unknown) => this.o.logger.error({ runId, err: String(err) }, 'slack notifier pump failed'));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private startLookup(runId: string, q: RunQueue): void {
    if (q.lookupStarted || !this.o.lookup) return;
    q.lookupStarted = true;
    const p = this.o.lookup(runId).then((s) => {
      if (s?.message && !q.loc) { q.loc = s.message; this.kick(runId); }
    }, (err: unknown) => this.o.logger.warn({ runId, err: String(err) }, 'slack notifier: run lookup failed'));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private wakeAt(runId: string, q: RunQueue, at: number): void {
    q.timer?.cancel();
    q.timer = this.o.clock.setTimer(Math.max(0, at - this.o.clock.now()), () => { q.timer = undefined; this.kick(runId); });
  }

  private async pump(runId: string, q: RunQueue): Promise<void> {
    q.busy = true;
    try {
      for (;;) {
        const now = this.o.clock.now();
        if (now < q.blockedUntil) { this.wakeAt(runId, q, q.blockedUntil); return; }
        const loc = q.loc!;
        // The card first when due, so the thread never runs ahead of the card by more than a second.
        if (q.cardDirty && q.latest && now - q.lastCardAt >= this.minInterval) {
          const status = q.latest;
          const version = q.latestVersion;
          q.cardDirty = false;
          q.lastCardAt = now;
          const card = runCard(status, { production: this.o.isProduction?.(status.cluster) ?? false });
          const wait = await this.send(runId, 'chat.update', () => this.o.client.chat.update({ channel: loc.channel, ts: loc.ts, text: card.text, blocks: card.blocks }));
          if (typeof wait === 'number') { q.cardDirty = true; q.lastCardAt = Number.NEGATIVE_INFINITY; q.blockedUntil = this.o.clock.now() + wait; }
          else if (wait === 'sent' && version !== undefined) this.stored('render', () => this.o.renders?.cardRendered(runId, version), runId);
          continue;
        }
        if (q.posts.length > 0) {
          const post = nextReply(q.posts);
          const args = { channel: loc.channel, thread_ts: loc.ts, text: post.text, ...(post.blocks ? { blocks: post.blocks } : {}), ...(post.broadcast ? { reply_broadcast: true } : {}) };
          const wait = await this.send(runId, 'chat.postMessage', () => this.o.client.chat.postMessage(args));
          if (typeof wait === 'number') { q.blockedUntil = this.o.clock.now() + wait; continue; }
          if (post.broadcast && wait === 'sent') this.stored('final message', () => this.o.renders?.finalPosted(runId), runId);
          q.posts.splice(0, post.count);
          continue;
        }
        if (q.cardDirty && q.latest) this.wakeAt(runId, q, q.lastCardAt + this.minInterval);
        // A finished run's card is final: drop the status (a 5,000-node plan is big); the broadcast flag stays.
        else if (q.latest && TERMINAL.has(q.latest.state)) q.latest = undefined;
        return;
      }
    } finally {
      q.busy = false;
    }
  }

  /** 'sent', 'dropped' (failed for good and logged), or a wait in ms when Slack said 429. */
  private async send(runId: string, method: string, call: () => Promise<unknown>): Promise<number | 'sent' | 'dropped'> {
    try {
      await call();
      return 'sent';
    } catch (err) {
      const wait = retryAfterMs(err);
      if (wait !== undefined) {
        this.o.metrics?.slackRateLimited(method);
        this.o.logger.warn({ runId, retryAfterMs: wait }, 'slack rate limited; pausing this run\'s updates');
        return wait;
      }
      this.o.metrics?.slackApiError(method);
      this.o.logger.error({ runId, method, err: (err as Error)?.message ?? String(err) }, 'slack call failed; update dropped');
      return 'dropped';
    }
  }
}
