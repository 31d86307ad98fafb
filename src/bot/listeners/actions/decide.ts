// Continue / Roll back / Abort for a run waiting for an operator (issue #14 item 11): the card's and the thread's
// buttons and `/ipvs decide`. Approvers of the run's cluster only (the rule of Approve); the engine audits the
// decision; the thread says who decided what.
import type { BotContext } from '../../context.js';
import { channelAllowed } from '../../authz.js';
import { workflowErrorText } from '../../error-text.js';
import { DECIDE_ACTION, DECISION_LABEL, type DecisionWord } from '../../views/decision-view.js';
import { esc, truncate } from '../../views/text.js';
import { ephemeralSay, type ButtonArgs } from './approve.js';

type Chat = ButtonArgs['client']['chat'];

export interface DecideRequest { user: string; channel: string; runId: string; decision: DecisionWord; note?: string }

/** Decides, or says why not; returns the answer for the person who asked (undefined when it worked). */
export async function decideRun(ctx: BotContext, chat: Pick<Chat, 'postMessage'>, r: DecideRequest): Promise<string | undefined> {
  const run = (await ctx.workflows.status(r.runId)).find((x) => x.runId === r.runId);
  const cluster = run && ctx.cluster(run.cluster);
  if (!run || !cluster) return `I cannot find run \`${esc(r.runId)}\`; \`/ipvs status\` lists recent runs.`;
  if (!channelAllowed(cluster, r.channel)) {
    return `:no_entry: Cluster \`${esc(cluster.name)}\` can only be managed from ${cluster.channels.map((c) => `<#${c}>`).join(', ')}.`;
  }
  if (!(await ctx.approvers.check(r.user, cluster)).allowed) {
    ctx.logger.info({ user: r.user, runId: r.runId, decision: r.decision }, 'decision refused: not an approver');
    return ':no_entry: Only an approver of this cluster can decide for a paused run.';
  }
  const why = run.waiting?.for === 'inconclusive' ? `inconclusive checks: ${(run.waiting.checks ?? []).map((c) => `${c.node ? `${c.node}: ` : ''}${c.name}`).join(', ')}`
    : run.waiting?.for === 'compensation-failed' ? 'a rollback step failed' : 'a step outcome was unknown';
  let status;
  try {
    status = await ctx.workflows.decide(r.runId, r.user, r.decision, r.note);
  } catch (err) {
    ctx.logger.info({ runId: r.runId, err: String(err) }, 'decision not applied');
    return workflowErrorText(err);
  }
  ctx.logger.info({ user: r.user, runId: r.runId, decision: r.decision }, 'operator decision');
  ctx.notifier.notify({ type: 'state', runId: status.runId, status });
  const loc = status.message ?? run.message;
  if (loc) {
    const line = `<@${r.user}> chose *${DECISION_LABEL[r.decision]}* for run \`${esc(status.runId)}\` (paused on ${esc(why)})${r.note ? `: ${esc(r.note)}` : ''}`;
    await chat.postMessage({ channel: loc.channel, thread_ts: loc.ts, text: truncate(line, 3000) })
      .catch((err: unknown) => ctx.logger.warn({ runId: r.runId, err: String(err) }, 'could not post the decision in the thread'));
  }
  return undefined;
}

const WORD_OF: Record<string, DecisionWord> = Object.fromEntries(Object.entries(DECIDE_ACTION).map(([w, id]) => [id, w as DecisionWord]));

export function decideAction(ctx: BotContext) {
  return async ({ ack, body, action, client }: ButtonArgs): Promise<void> => {
    await ack();
    const say = ephemeralSay(client);
    const channel = body.channel?.id ?? body.container?.channel_id as string | undefined;
    const decision = WORD_OF[action.action_id];
    const runId = typeof action.value === 'string' ? action.value : '';
    if (!channel || !decision || !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(runId)) {
      ctx.logger.warn({ user: body.user?.id }, 'decision click without a usable run id');
      return;
    }
    const refusal = await decideRun(ctx, client.chat, { user: body.user.id, channel, runId, decision });
    if (refusal) await say(channel, body.user.id, refusal);
  };
}
