// At most once per delivery. Socket Mode delivers at least once: an envelope whose ack was lost or late comes again
// (retry_attempt / retry_reason "timeout", see the envelopes in slackapi/python-slack-sdk tests/slack_sdk/socket_mode/
// mock_socket_mode_server.py). The same person's action keeps its trigger_id (events their event_id), so a second
// delivery is acked and dropped instead of planning or approving twice. Over HTTP the same signed body can be
// replayed within the signature's 5-minute window: there the key is the payload itself (a trigger_id is part of it).
import { createHash } from 'node:crypto';
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from '../workflows/engine/ports.js';

/** The identity of one user action or event across redeliveries, if the body carries one. */
export function deliveryKey(body: unknown): string | undefined {
  const b = body as { trigger_id?: unknown; event_id?: unknown; type?: unknown; command?: unknown };
  if (typeof b?.event_id === 'string') return `event:${b.event_id}`;
  if (typeof b?.trigger_id === 'string') return `${typeof b.command === 'string' ? 'command' : String(b.type)}:${b.trigger_id}`;
  return undefined;
}

/** The identity of one signed payload: its parsed body, hashed (Bolt parses the same bytes the same way). */
export function payloadKey(body: unknown): string {
  return `payload:${createHash('sha256').update(JSON.stringify(body) ?? '').digest('base64url')}`;
}

/** Remembers the last `size` keys (insertion order); Slack redelivers within seconds, a replay is refused after 5 minutes. */
export function dedupeDeliveries(logger: Logger, o: { size?: number; byPayload?: boolean } = {}): Middleware<AnyMiddlewareArgs> {
  const size = o.size ?? 5_000;
  const seen = new Set<string>();
  return async (args) => {
    const key = o.byPayload ? payloadKey(args.body) : deliveryKey(args.body);
    if (key && seen.has(key)) {
      const ack = (args as { ack?: () => Promise<void> }).ack;
      if (ack) await ack();
      logger.info({ key, retryNum: args.context.retryNum, retryReason: args.context.retryReason }, 'slack redelivered an envelope already handled (or a signed payload was replayed); acked, not acted on again');
      return;
    }
    if (key) {
      seen.add(key);
      if (seen.size > size) seen.delete(seen.values().next().value!);
    }
    await args.next();
  };
}
