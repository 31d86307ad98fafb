// The engine's Notifier for Slack: one queue per run. The card (run.message) is chat.update'd at most once per
// second with the latest status (coalesced); node results and log lines become thread replies in order; the final
// result is broadcast to the channel. A 429 pauses that run's queue for Retry-After and retries: nothing dropped.
// Successful node results that are waiting together go out as one reply (up to NODE_RESULTS_PER_REPLY, one section
// each): Slack takes about one message a second per channel, and a 1,000-node run has 3,000 node results. A failed
// node always gets a reply of its own with the full detail. Queued results are kept as events and rendered when
// sent, so a long backlog holds the small Job results, not their Block Kit.
import type { Notifier, RunEvent, RunStatus } from '../workflows/kube-proxy-mode/api.js';
import type { Clock, Logger, TimerHandle } from '../workflows/engine/ports.js';
import { runCard, STATE_LABEL, TERMINAL } from './views/run-card.js';
import { nodeResultLine, nodeResultView } from './views/node-result.js';
import { codeBlock, context, section, truncate } from './views/text.js';

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
}

type NodeEvent = Extract<RunEvent, { type: 'node' }>;
type ThreadPost = { text: string; blocks?: unknown[]; broadcast?: boolean } | { node: NodeEvent };

export const NODE_RESULTS_PER_REPLY = 10;

/** How many queued posts the next reply carries, and the reply. */
function nextReply(posts: ThreadPost[]): { count: number; text: string; blocks?: unknown[]; broadcast?: boolean } {
  const first = posts[0]!;
  if (!('node' in first)) return { count: 1, ...first };
  let count = 1;
  if (first.node.ok) while (count < Math.min(posts.length, NODE_RESULTS_PER_REPLY) && isOkNode(posts[count]!)) count++;
  if (count === 1) return { count, ...nodeResultView(first.node) };
  const lines = posts.slice(0, count).map((p) => nodeResultLine((p as { node: NodeEvent }).node));
  return {
    count,
    text: truncate(lines.map((l) => l.text).join('\n'), 3000),
    blocks: [...lines.map((l) => l.block), context(`${count} node results · each Job's full JSON is in the audit log (/ipvs audit export)`)],
  };
}
const isOkNode = (p: ThreadPost): boolean => 'node' in p && p.node.ok;

interface RunQueue {
  loc?: { channel: string; ts: string };
  latest?: RunStatus;
  cardDirty: boolean;
  lastCardAt: number;
  posts: ThreadPost[];
  busy: boolean;
  blockedUntil: number;
  timer?: TimerHandle;
  broadcastDone: boolean;
  lookupStarted: boolean;
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
      q.latest = event.status;
      if (event.status.message && !q.loc) q.loc = event.status.message;
      q.cardDirty = true;
      if (TERMINAL.has(event.status.state) && !q.broadcastDone) {
        q.broadcastDone = true;
        const s = event.status;
        const text = `${STATE_LABEL[s.state]}: kube-proxy on *${s.cluster}* ${s.plan.currentMode} → ${s.plan.targetMode} (run \`${s.runId}\`)${s.reason ? `\nReason: ${s.reason}` : ''}`;
        q.posts.push({ text: truncate(text, 3000), broadcast: true });
      }
    } else if (event.type === 'node') {
      q.posts.push({ node: event });
    } else {
      q.posts.push({ text: truncate(event.text, 3000), blocks: [section(codeBlock(event.text, 2900))] });
    }
    this.kick(event.runId);
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

  /** Work not yet delivered, for tests and shutdown: thread posts queued + cards waiting for an update. */
  backlog(): number {
    let n = 0;
    for (const q of this.runs.values()) n += q.posts.length + (q.cardDirty && q.loc ? 1 : 0);
    return n;
  }

  private queue(runId: string): RunQueue {
    let q = this.runs.get(runId);
    if (!q) {
      q = { cardDirty: false, lastCardAt: Number.NEGATIVE_INFINITY, posts: [], busy: false, blockedUntil: 0, broadcastDone: false, lookupStarted: false };
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
          q.cardDirty = false;
          q.lastCardAt = now;
          const card = runCard(status, { production: this.o.isProduction?.(status.cluster) ?? false });
          const wait = await this.send(runId, 'chat.update', () => this.o.client.chat.update({ channel: loc.channel, ts: loc.ts, text: card.text, blocks: card.blocks }));
          if (wait !== undefined) { q.cardDirty = true; q.lastCardAt = Number.NEGATIVE_INFINITY; q.blockedUntil = this.o.clock.now() + wait; }
          continue;
        }
        if (q.posts.length > 0) {
          const post = nextReply(q.posts);
          const args = { channel: loc.channel, thread_ts: loc.ts, text: post.text, ...(post.blocks ? { blocks: post.blocks } : {}), ...(post.broadcast ? { reply_broadcast: true } : {}) };
          const wait = await this.send(runId, 'chat.postMessage', () => this.o.client.chat.postMessage(args));
          if (wait !== undefined) { q.blockedUntil = this.o.clock.now() + wait; continue; }
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

  /** undefined when done (sent, or failed for good and logged); a wait in ms when Slack said 429. */
  private async send(runId: string, method: string, call: () => Promise<unknown>): Promise<number | undefined> {
    try {
      await call();
      return undefined;
    } catch (err) {
      const wait = retryAfterMs(err);
      if (wait !== undefined) {
        this.o.metrics?.slackRateLimited(method);
        this.o.logger.warn({ runId, retryAfterMs: wait }, 'slack rate limited; pausing this run\'s updates');
        return wait;
      }
      this.o.metrics?.slackApiError(method);
      this.o.logger.error({ runId, method, err: (err as Error)?.message ?? String(err) }, 'slack call failed; update dropped');
      return undefined;
    }
  }
}
