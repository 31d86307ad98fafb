// doctor's Slack row for Socket Mode: apps.connections.open with SLACK_APP_TOKEN through SLACK_API_URL, the call
// the bot makes before every connection. Asking for a URL opens nothing; the ticket it carries is left unused.
import { socketStartAdvice } from '../bot/socket-connection.js';
import type { Config } from '../config.js';
import type { CheckRow } from './doctor-checks.js';

const SLACK_API = 'https://slack.com/api/';

export async function checkSocketMode(config: Config, o: { fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<CheckRow[]> {
  const token = config.slack.appToken;
  if (!token) return [];
  const base = config.slack.apiUrl ? config.slack.apiUrl.replace(/\/?$/, '/') : SLACK_API;
  const url = `${base}apps.connections.open`;
  const row = { scope: 'slack', check: 'Socket Mode (apps.connections.open)' };
  try {
    const res = await (o.fetch ?? fetch)(url, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
    const body = await res.json().catch(() => ({})) as { ok?: boolean; url?: string; error?: string };
    if (body.ok && typeof body.url === 'string') {
      return [{ ...row, status: 'pass', detail: `the app-level token may connect; WebSocket host ${new URL(body.url).host}` }];
    }
    const code = body.error ?? `HTTP ${res.status}`;
    return [{ ...row, status: 'fail', detail: `${url} answered ${code}`, fix: socketStartAdvice(code) }];
  } catch (e) {
    return [{ ...row, status: 'fail', detail: `could not reach ${url}: ${(e as Error).message}`, fix: socketStartAdvice('unreachable') }];
  }
}
