// Slack's rule for signed requests: refuse one whose x-slack-request-timestamp differs from now by more than five
// minutes (docs.slack.dev/authentication/verifying-requests-from-slack). Bolt 5.1 checks only the past side
// (receivers/verify-request.js: `requestTimestampSec < fiveMinutesAgoSec`) of Number(header), so a timestamp ten
// minutes ahead, or "1700000000.5", passed. This runs in front of Bolt's own listener; Bolt still checks the HMAC.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HTTPReceiver } from '@slack/bolt';
import type { Clock, Logger } from '../workflows/engine/ports.js';

export const TIMESTAMP_WINDOW_SEC = 300;

/** Whole seconds (Slack sends an integer), within the window either side of now. */
export function timestampAcceptable(header: string, nowMs: number, windowSec = TIMESTAMP_WINDOW_SEC): boolean {
  return /^\d{1,12}$/.test(header) && Math.abs(Number(header) - nowMs / 1000) <= windowSec;
}

export function guardRequestTimestamps(receiver: HTTPReceiver, o: { clock: Clock; logger: Logger }): void {
  const inner = receiver.requestListener;
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    const raw = req.headers['x-slack-request-timestamp'];
    // No header at all: Bolt refuses it (or answers an unsigned ssl_check), as before.
    const header = Array.isArray(raw) ? raw.join(',') : raw;
    if (req.method === 'POST' && header !== undefined && !timestampAcceptable(header, o.clock.now())) {
      o.logger.warn({ timestamp: header.slice(0, 40), nowSec: Math.floor(o.clock.now() / 1000) },
        'refused a Slack request: its timestamp is not whole seconds within 5 minutes of now (replayed, forged, or a clock off)');
      req.resume();
      res.writeHead(401).end();
      return;
    }
    inner(req, res);
  };
}
