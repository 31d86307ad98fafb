// Socket Mode delivers at least once: an envelope whose ack was lost or late comes again (retry_attempt /
// retry_reason "timeout", see the envelopes in slackapi/python-slack-sdk tests/slack_sdk/socket_mode/
// mock_socket_mode_server.py). The same person's action keeps its trigger_id (events their event_id), so a second
// delivery is acked and dropped instead of planning or approving twice.
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from '../workflows/engine/ports.js';

/** The identity of one user action or event across redeliveries, if the body carries one. */
export function deliveryKey(body: unknown): string | undefined {
  const b = body as { trigger_id?: unknown; event_id?: unknown; type?: unknown; command?: unknown };
  if (typeof b?.event_id === 'string') return `event:${b.event_id}`;
  if (typeof b?.trigger_id === 'string') return `${typeof b.command === 'string' ? 'command' : String(b.type)}:${b.trigger_id}`;
  return undefined;
}

/** Remembers the last `size` keys (insertion order); Slack redelivers within seconds, not hours. */
export function dedupeDeliveries(logger: Logger, size = 5_000): Middleware<AnyMiddlewareArgs> {
  const seen = new Set<string>();
  return async (args) => {
    const key = deliveryKey(args.body);
    if (key && seen.has(key)) {
      const ack = (args as { ack?: () => Promise<void> }).ack;
      if (ack) await ack();
      logger.info({ key, retryNum: args.context.retryNum, retryReason: args.context.retryReason }, 'slack redelivered an envelope already handled; acked, not acted on again');
      return;
    }
    if (key) {
      seen.add(key);
      if (seen.size > size) seen.delete(seen.values().next().value!);
    }
    await args.next();
  };
}
