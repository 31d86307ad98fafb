// The one table of Slack ids → handlers (bolt-ts-starter-template layout).
import type { App } from '@slack/bolt';
import type { BotContext } from '../context.js';
import { ACTION, CALLBACK } from '../views/ids.js';
import { approveAction } from './actions/approve.js';
import { cancelAction } from './actions/cancel.js';
import { decideAction } from './actions/decide.js';
import { DECIDE_ACTION } from '../views/decision-view.js';
import { rejectAction } from './actions/reject.js';
import { ipvsCommand } from './commands/ipvs.js';
import { waveApproveAction, waveApproveSubmit } from './fleet/approve-wave.js';
import { approveSubmit } from './views/approve-submit.js';
import { rejectSubmit } from './views/reject-submit.js';

export function registerListeners(app: App, ctx: BotContext): void {
  app.command('/ipvs', ipvsCommand(ctx));
  app.action({ type: 'block_actions', action_id: ACTION.approve }, approveAction(ctx) as never);
  app.action({ type: 'block_actions', action_id: ACTION.reject }, rejectAction(ctx) as never);
  app.action({ type: 'block_actions', action_id: ACTION.cancel }, cancelAction(ctx) as never);
  for (const id of Object.values(DECIDE_ACTION)) app.action({ type: 'block_actions', action_id: id }, decideAction(ctx) as never);
  app.view({ type: 'view_submission', callback_id: CALLBACK.approveModal }, approveSubmit(ctx) as never);
  app.view({ type: 'view_submission', callback_id: CALLBACK.rejectModal }, rejectSubmit(ctx) as never);
  app.action({ type: 'block_actions', action_id: ACTION.waveApprove }, waveApproveAction(ctx) as never);
  app.view({ type: 'view_submission', callback_id: CALLBACK.waveApproveModal }, waveApproveSubmit(ctx) as never);
}
