// Socket Mode's connection state for /readyz and the operator's log: tracks the SocketModeClient's lifecycle
// events and turns a failed apps.connections.open into one line that says what to fix.
// Lifecycle event names ('connected', 'reconnecting', 'disconnected') are @slack/socket-mode's State enum
// (node_modules/@slack/socket-mode/dist/src/SocketModeClient.js); its start() rejects without retrying on the
// errors in UnrecoverableSocketModeStartError (not_authed, invalid_auth, …) and on request/HTTP errors.
import type { SocketModeReceiver } from '@slack/bolt';
import type { Logger } from '../workflows/engine/ports.js';

export type SocketState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'failed';

export interface SocketConnection {
  state(): SocketState;
  /** Why the last start failed (Slack's error code or the network error), for /readyz. */
  lastError(): string | undefined;
  /** Connects; on failure logs what to fix, retries after retryMs, and resolves (readiness stays false). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What an operator should do about an apps.connections.open failure. */
export function socketStartAdvice(code: string): string {
  switch (code) {
    case 'invalid_auth': case 'not_authed': case 'token_revoked': case 'token_expired':
      return 'SLACK_APP_TOKEN was refused: use an app-level token (xapp-…) of this Slack app with the connections:write scope (Basic Information → App-Level Tokens)';
    case 'not_allowed_token_type':
      return 'SLACK_APP_TOKEN is not an app-level token: apps.connections.open takes only an xapp-… token, not the bot token';
    case 'account_inactive': case 'team_disabled': case 'user_removed_from_team':
      return 'the Slack app or workspace is disabled; reinstall the app or check the workspace';
    default:
      return 'check that SLACK_API_URL (or slack.com) is reachable from the bot and that Socket Mode is enabled for the app';
  }
}

function errorCode(err: unknown): string {
  const e = err as { data?: { error?: string }; code?: string; message?: string };
  return e?.data?.error ?? e?.code ?? (e instanceof Error ? e.message : String(err));
}

export function socketConnection(receiver: SocketModeReceiver, logger: Logger, o: { retryMs?: number; stopTimeoutMs?: number } = {}): SocketConnection {
  let state: SocketState = 'disconnected';
  let lastError: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const client = receiver.client;
  client.on('connected', () => {
    if (state !== 'connected') logger.info({ socketMode: true }, 'slack socket mode connected');
    state = 'connected'; lastError = undefined;
  });
  client.on('reconnecting', () => { state = 'reconnecting'; logger.warn({ socketMode: true }, 'slack socket mode reconnecting'); });
  client.on('disconnected', () => { if (state !== 'failed') state = 'disconnected'; });

  async function start(): Promise<void> {
    if (stopped) return;
    state = 'connecting';
    try {
      await receiver.start();
    } catch (err) {
      const code = errorCode(err);
      state = 'failed'; lastError = code;
      const retryMs = o.retryMs ?? 30_000;
      logger.error({ err: code, method: 'apps.connections.open', retryInMs: retryMs },
        `slack socket mode could not connect (${code}): ${socketStartAdvice(code)}; /readyz stays 503`);
      if (!stopped) { timer = setTimeout(() => { void start(); }, retryMs); timer.unref(); }
    }
  }

  return {
    state: () => state,
    lastError: () => lastError,
    start,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      // Bolt's receiver.stop() does not wait for the close handshake; wait for it, but not forever.
      const closed = client.disconnect().catch(() => {});
      await Promise.race([closed, new Promise((r) => setTimeout(r, o.stopTimeoutMs ?? 2_000).unref())]);
      state = 'disconnected';
    },
  };
}
