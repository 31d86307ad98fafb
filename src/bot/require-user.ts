// Every listener answers a person: a command, click or modal submission without a user (a malformed or forged
// payload) is acked and logged here instead of throwing inside Bolt (which answered HTTP 500).
import type { App, ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../workflows/engine/ports.js';

export function userOf(body: unknown): string | undefined {
  const b = body as { user_id?: unknown; user?: { id?: unknown } } | undefined;
  if (typeof b?.user_id === 'string' && b.user_id) return b.user_id;
  return typeof b?.user?.id === 'string' && b.user.id ? b.user.id : undefined;
}

/** Payload kinds the bot listens to; each carries the acting user (events are not listened to). */
function needsUser(body: unknown): string | undefined {
  const b = body as { command?: unknown; type?: unknown } | undefined;
  if (typeof b?.command === 'string') return 'slash_command';
  return b?.type === 'block_actions' || b?.type === 'view_submission' || b?.type === 'view_closed' ? b.type : undefined;
}

/**
 * Bolt reads `body.user.id` while building the request's source (App.js buildSource), before any middleware runs,
 * so a click or submission without a user threw there (HTTP 500). Checked where the receiver hands the event to
 * the app (both receivers call app.processEvent).
 */
export function guardUserlessPayloads(app: App, logger: Logger): void {
  const inner = app.processEvent.bind(app);
  app.processEvent = async (event: ReceiverEvent) => {
    const kind = needsUser(event.body);
    if (kind && !userOf(event.body)) {
      logger.warn({ kind }, 'slack payload without a user; acked and dropped');
      await event.ack();
      return;
    }
    await inner(event);
  };
}
