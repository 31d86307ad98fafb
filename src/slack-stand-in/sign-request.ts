// Signs a request body the way Slack does (v0 HMAC-SHA256 of `v0:{ts}:{body}`), so tests and the demo can post
// into /slack/events exactly as Slack would.
import { createHmac } from 'node:crypto';

export function slackSignature(signingSecret: string, timestampSec: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
}

export function signedHeaders(signingSecret: string, body: string, timestampSec = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    'x-slack-request-timestamp': String(timestampSec),
    'x-slack-signature': slackSignature(signingSecret, timestampSec, body),
  };
}
