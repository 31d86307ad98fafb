// The shared approval path (button click or production modal): bot-side checks, then the engine's own.
import { channelAllowed } from '../authz.js';
import { recordAudit, type BotContext } from '../context.js';
import { refusalText, type RefusalCode } from '../error-text.js';

export interface ApprovalClick { user: string; channel: string; runId: string; digest: string }
export type Say = (channel: string, user: string, text: string) => Promise<void>;

async function refuse(ctx: BotContext, say: Say, c: ApprovalClick, code: RefusalCode, cluster?: string, extra: Record<string, unknown> = {}, msg?: string): Promise<void> {
  ctx.logger.info({ user: c.user, runId: c.runId, code, ...extra }, 'approval refused');
  await recordAudit(ctx, { actor: c.user, ...(cluster ? { cluster } : {}), runId: c.runId, type: 'approval.refused', payload: { code, digest: c.digest, ...extra } });
  await say(c.channel, c.user, refusalText(code, msg));
}

export async function approveRun(ctx: BotContext, say: Say, c: ApprovalClick): Promise<void> {
  const run = (await ctx.workflows.status(c.runId)).find((r) => r.runId === c.runId);
  if (!run) return refuse(ctx, say, c, 'not_found');
  const cluster = ctx.cluster(run.cluster);
  if (!cluster) return refuse(ctx, say, c, 'not_found', run.cluster);
  if (!channelAllowed(cluster, c.channel)) return refuse(ctx, say, c, 'not_in_channel', run.cluster, { channel: c.channel });
  if (run.requester === c.user) return refuse(ctx, say, c, 'self_approval', run.cluster);
  // A fleet run's cluster is approvable only while its wave is (issue #13), whichever button the click came from.
  const fleetId = ctx.fleet?.service.fleetOf(c.runId);
  const wave = fleetId ? ctx.fleet!.service.state(fleetId)?.waves.find((w) => w.runs.some((r) => r.runId === c.runId)) : undefined;
  if (fleetId && !wave?.approvable) return refuse(ctx, say, c, 'not_awaiting', run.cluster, { fleet: fleetId, wave: wave?.index, why: wave?.why });
  const decision = await ctx.approvers.check(c.user, cluster);
  if (!decision.allowed) return refuse(ctx, say, c, 'not_approver', run.cluster, decision.fellBack ? { usergroupFallback: decision.fellBack } : {});
  const result = await ctx.workflows.approve(c.runId, c.user, c.digest);
  if (!result.ok) return refuse(ctx, say, c, result.code, run.cluster, {}, result.message);
  ctx.logger.info({ user: c.user, runId: c.runId, via: decision.via, started: result.started }, 'approval counted');
  ctx.notifier.notify({ type: 'state', runId: c.runId, status: result.status });
  const s = result.status;
  await say(c.channel, c.user, result.started
    ? `:white_check_mark: Approved (${s.approvals.length}/${s.requiredApprovals}). The run is starting; follow it on the card.`
    : `:white_check_mark: Your approval counts (${s.approvals.length}/${s.requiredApprovals}). Waiting for ${s.requiredApprovals - s.approvals.length} more.`);
}
