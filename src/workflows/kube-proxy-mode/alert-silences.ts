// The Alertmanager silences a run makes for its own restarts: one per node of a batch, made right before the
// batch's kube-proxy pods are deleted, expired once the batch verified, on rollback and when the run finishes.
// Each silence names its run and node in its comment, so expiry finds them in Alertmanager even after a crash
// between creating one and recording its id; each also ends by itself (silenceFor) if the bot is gone for good.
import type { Matcher } from './gates/matchers.js';
import { CREATED_BY, createSilence, expireSilence, listSilences, type SilenceInfo } from './gates/alertmanager.js';
import { errorText, type Ctx } from './steps/step-types.js';

const commentPrefix = (runId: string) => `ipvs-bot run ${runId} node `;
const nodeOf = (s: SilenceInfo, runId: string): string | undefined =>
  s.createdBy === CREATED_BY && s.comment.startsWith(commentPrefix(runId)) ? s.comment.slice(commentPrefix(runId).length).split(':')[0] : undefined;
const live = (s: SilenceInfo) => s.status.state === 'active' || s.status.state === 'pending';

/** The configured matchers with `{{node}}` filled in; `node="<node>"` added when none mentions the node. */
export function silenceMatchers(matchers: readonly Matcher[], node: string): Matcher[] {
  const out = matchers.map((m) => ({ ...m, value: m.value.replaceAll('{{node}}', m.isRegex ? node.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : node) }));
  if (!matchers.some((m) => m.value.includes('{{node}}'))) out.push({ name: 'node', value: node, isRegex: false, isEqual: true });
  return out;
}

/** Ensures a silence per node (existing ones of this run are reused); node → silence id. Never throws. */
export async function silenceNodes(ctx: Ctx, nodes: readonly string[]): Promise<Record<string, string>> {
  const am = ctx.deps.gates?.alertmanager;
  if (!am || am.silence.length === 0 || nodes.length === 0) return {};
  const out: Record<string, string> = {};
  try {
    for (const s of (await listSilences(am.url, ctx.signal)).filter(live)) {
      const node = nodeOf(s, ctx.runId);
      if (node && nodes.includes(node)) out[node] = s.id;
    }
    const now = ctx.clock.now();
    for (const node of nodes) {
      if (out[node]) continue;
      out[node] = await createSilence(am.url, {
        matchers: silenceMatchers(am.silence, node), startsAtMs: now, endsAtMs: now + am.silenceForMs,
        comment: `${commentPrefix(ctx.runId)}${node}: kube-proxy restart on ${ctx.cluster} (expired once the node verified)`,
      }, ctx.signal);
    }
    ctx.deps.gates?.metrics?.gateOutcome(ctx.cluster, 'silence', 'created');
  } catch (e) {
    // A silence is a courtesy to the on-call: its absence must not stop the change (the alerts just fire).
    ctx.deps.gates?.metrics?.gateOutcome(ctx.cluster, 'silence', 'error');
    ctx.logger.warn({ err: errorText(e) }, 'could not create Alertmanager silences');
    ctx.log(`Could not silence the restart's alerts in Alertmanager (${errorText(e)}); the restart goes on.`);
  }
  return out;
}

/** Expires this run's silences (only those of `nodes` when given); the number expired. Never throws. */
export async function expireSilences(ctx: Ctx, nodes?: readonly string[]): Promise<number> {
  const am = ctx.deps.gates?.alertmanager;
  if (!am || am.silence.length === 0) return 0;
  try {
    const mine = (await listSilences(am.url, ctx.signal)).filter((s) => {
      const node = nodeOf(s, ctx.runId);
      return node !== undefined && live(s) && (!nodes || nodes.includes(node));
    });
    for (const s of mine) await expireSilence(am.url, s.id, ctx.signal);
    if (mine.length) ctx.deps.gates?.metrics?.gateOutcome(ctx.cluster, 'silence', 'expired');
    return mine.length;
  } catch (e) {
    ctx.logger.warn({ err: errorText(e) }, 'could not expire Alertmanager silences; they end by themselves');
    return 0;
  }
}
