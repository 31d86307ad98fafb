// createApp(deps): the Bolt app with its receiver (HTTP at POST /slack/events, or Socket Mode), health routes,
// a short Web API retry policy, and auth.test done by us at start (short timeout) so readiness is honest.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, webApi, type CustomRoute } from '@slack/bolt';
import type { Config } from '../config.js';
import type { RunStatus, Workflows } from '../workflows/kube-proxy-mode/api.js';
import { silentLogger, systemClock, type Clock, type Logger } from '../workflows/engine/ports.js';
import { Approvers } from './authz.js';
import type { AuditPort, BotContext } from './context.js';
import { logLevelFor, workflowErrorText } from './error-text.js';
import { dedupeDeliveries } from './dedupe-deliveries.js';
import { guardUserlessPayloads } from './require-user.js';
import { guardRequestTimestamps } from './request-timestamp-guard.js';
import { registerListeners } from './listeners/index.js';
import { socketConnection, type SocketConnection } from './socket-connection.js';
import { SlackNotifier, type SlackNotifierOptions } from './slack-notifier.js';

type WebClient = InstanceType<typeof webApi.WebClient>;

export interface BotDeps {
  config: Config;
  workflows: Workflows;
  logger?: Logger;
  clock?: Clock;
  /** Pass the notifier the engine was built with; otherwise one is created (see createSlackNotifier). */
  notifier?: SlackNotifier;
  audit?: AuditPort;
  /** Fleet view and waves (issue #13). */
  fleet?: BotContext['fleet'];
  /** DB (and anything else) healthy, for /readyz. */
  health?: () => boolean | Promise<boolean>;
  /** Prometheus text for /metrics. */
  metrics?: { text(): string | Promise<string>; contentType?: string };
  authTestTimeoutMs?: number;
  /** Socket Mode timings; tests shorten the client's ping timeout, which also sets its reconnect delay. */
  socketMode?: { clientPingTimeoutMs?: number; retryMs?: number };
}

export interface BotApp {
  app: App;
  receiver: HTTPReceiver | SocketModeReceiver;
  client: WebClient;
  notifier: SlackNotifier;
  /** Listens on `port` (0 = any free port) and returns it; in Socket Mode that serves only health and metrics, and it connects. */
  start(port?: number): Promise<{ port: number }>;
  stop(): Promise<void>;
  botUserId(): string | undefined;
}

/** Short retry policy: Bolt's default keeps retrying for ~30 minutes, far past any useful answer. */
export function slackClientOptions(config: Config): { slackApiUrl?: string; retryConfig: { retries: number; factor: number; minTimeout: number; maxTimeout: number }; timeout: number } {
  return {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 2_000 },
    timeout: 10_000,
  };
}

/** The notifier main.ts hands to the engine before the app exists. */
export function createSlackNotifier(config: Config, o: { clock?: Clock; logger?: Logger; lookup?: (runId: string) => Promise<RunStatus | undefined>; metrics?: SlackNotifierOptions['metrics'] } = {}): SlackNotifier {
  // 429s are handled by the notifier's own queue (Retry-After on the injected clock), not inside the client.
  const client = new webApi.WebClient(config.slack.botToken, { ...slackClientOptions(config), rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
  return new SlackNotifier({
    client: client as never, clock: o.clock ?? systemClock, logger: o.logger ?? silentLogger,
    isProduction: (name) => config.clusters.find((c) => c.name === name)?.production ?? false,
    ...(o.lookup ? { lookup: o.lookup } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
  });
}

function boltLogger(log: Logger): import('@slack/bolt').Logger {
  const join = (m: unknown[]): Record<string, unknown> => ({ bolt: m.map((x) => (x instanceof Error ? x.message : typeof x === 'string' ? x : JSON.stringify(x))).join(' ') });
  let level = LogLevel.INFO;
  return {
    // Bolt logs several debug lines per request; formatting them costs ack latency, so skip unless asked for.
    debug: (...m: unknown[]) => { if (level === LogLevel.DEBUG) log.debug(join(m), 'bolt'); },
    info: (...m: unknown[]) => log.info(join(m), 'bolt'),
    warn: (...m: unknown[]) => log.warn(join(m), 'bolt'), error: (...m: unknown[]) => log.error(join(m), 'bolt'),
    setLevel: (l) => { level = l; }, getLevel: () => level, setName: () => {},
  };
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

/** Socket Mode's HTTP server: only /healthz, /readyz and /metrics (nothing from Slack comes in over HTTP). */
async function listenHealth(routes: CustomRoute[], port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes.find((r) => r.path === path && (r.method as string[]).includes(req.method ?? ''));
    if (route) (route.handler as (q: IncomingMessage, s: ServerResponse) => void)(req, res);
    else send(res, 404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => { server.off('error', reject); resolve(); });
  });
  return server;
}

export function createApp(deps: BotDeps): BotApp {
  const { config, workflows } = deps;
  const logger = deps.logger ?? silentLogger;
  const clock = deps.clock ?? systemClock;
  const clientOptions = slackClientOptions(config);
  const client = new webApi.WebClient(config.slack.botToken, { ...clientOptions, logLevel: LogLevel.ERROR });
  const notifier = deps.notifier ?? createSlackNotifier(config, {
    clock, logger, lookup: async (id) => (await workflows.status(id)).find((r) => r.runId === id),
  });
  let auth: { botUserId?: string; botId?: string; done: boolean } = { done: false };
  let retryTimer: NodeJS.Timeout | undefined;

  const routes: CustomRoute[] = [
    // Liveness: the process answers and the DB is writable (a restart may fix a stuck DB handle).
    { path: '/healthz', method: ['GET'], handler: (_req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        let db = true;
        try { db = deps.health ? await deps.health() : true; } catch { db = false; }
        send(res, db ? 200 : 503, db ? 'ok\n' : 'database not writable\n');
      })();
    } },
    { path: '/readyz', method: ['GET'], handler: (_req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        let db = true;
        try { db = deps.health ? await deps.health() : true; } catch { db = false; }
        const connected = !socket || socket.state() === 'connected';
        const body = { config: true, db, slack: auth.done && connected, ...(socket ? { socketMode: socket.state(), ...(socket.lastError() ? { socketError: socket.lastError() } : {}) } : {}) };
        send(res, db && auth.done && connected ? 200 : 503, `${JSON.stringify(body)}\n`, 'application/json');
      })();
    } },
    { path: '/metrics', method: ['GET'], handler: (_req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        try { send(res, 200, deps.metrics ? await deps.metrics.text() : '', deps.metrics?.contentType ?? 'text/plain; version=0.0.4; charset=utf-8'); }
        catch (err) { logger.error({ err: String(err) }, 'metrics failed'); send(res, 500, 'metrics unavailable\n'); }
      })();
    } },
  ];

  const bLogger = boltLogger(logger);
  // Socket Mode: the SocketModeClient gets the same Web API options as every other client, so SLACK_API_URL
  // covers apps.connections.open too (Bolt passes installerOptions.clientOptions to it; SocketModeReceiver.js).
  // Health routes get their own server: Bolt's listens without telling us the port or a listen error.
  const receiver = config.slack.socketMode
    ? new SocketModeReceiver({
      appToken: config.slack.appToken!, logger: bLogger,
      installerOptions: { clientOptions: { ...clientOptions } },
      ...(deps.socketMode?.clientPingTimeoutMs ? { clientPingTimeout: deps.socketMode.clientPingTimeoutMs } : {}),
    })
    : new HTTPReceiver({ signingSecret: config.slack.signingSecret!, endpoints: '/slack/events', customRoutes: routes, logger: bLogger });
  if (receiver instanceof HTTPReceiver) guardRequestTimestamps(receiver, { clock, logger });
  const socket: SocketConnection | undefined = receiver instanceof SocketModeReceiver
    ? socketConnection(receiver, logger, deps.socketMode?.retryMs ? { retryMs: deps.socketMode.retryMs } : {}) : undefined;
  let healthServer: Server | undefined;

  const app = new App({
    receiver,
    // Our own authorize: no auth.test per request, and no auth.test inside the constructor (we do it at start).
    authorize: async () => ({ botToken: config.slack.botToken, ...(auth.botUserId ? { botUserId: auth.botUserId } : {}), ...(auth.botId ? { botId: auth.botId } : {}) }),
    clientOptions,
    logger: bLogger,
    extendedErrorHandler: true,
  });

  const ctx: BotContext = {
    config, workflows, notifier, logger, clock,
    approvers: new Approvers(client as never, logger),
    cluster: (name) => config.clusters.find((c) => c.name === name),
    ...(deps.audit ? { audit: deps.audit } : {}),
    ...(deps.fleet ? { fleet: deps.fleet } : {}),
  };
  deps.fleet?.cards.bind(client as never, deps.fleet.service, (c) => config.clusters.find((x) => x.name === c)?.production ?? false, logger);
  guardUserlessPayloads(app, logger);
  app.use(dedupeDeliveries(logger, { byPayload: !socket }));
  registerListeners(app, ctx);

  // Last line of defence: whatever a listener threw, the person gets an answer and the operator a log line.
  app.error((async ({ error, body }: { error: Error; body: unknown }) => {
    const original = (error as { original?: unknown }).original ?? error;
    const ref = Math.random().toString(36).slice(2, 8);
    logger[logLevelFor(original)]({ ref, err: (original as Error)?.message ?? String(original), code: (error as { code?: string }).code }, 'unhandled listener error');
    const b = body as { user_id?: string; channel_id?: string; user?: { id?: string }; channel?: { id?: string }; response_url?: string };
    const user = b.user_id ?? b.user?.id;
    const channel = b.channel_id ?? b.channel?.id;
    try {
      if (b.response_url) {
        await fetch(b.response_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: workflowErrorText(original, ref) }) });
      } else if (user && channel) {
        await client.chat.postEphemeral({ channel, user, text: workflowErrorText(original, ref) });
      }
    } catch (err) {
      logger.warn({ ref, err: String(err) }, 'could not tell the user about the error');
    }
  }) as never);

  async function authTest(): Promise<void> {
    const timeout = deps.authTestTimeoutMs ?? 5_000;
    const c = new webApi.WebClient(config.slack.botToken, { ...clientOptions, retryConfig: { retries: 0 }, timeout, logLevel: LogLevel.ERROR });
    try {
      const r = await c.auth.test();
      auth = { botUserId: r.user_id, botId: r.bot_id, done: true };
      logger.info({ botUserId: r.user_id, team: r.team_id }, 'slack auth.test ok');
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'slack auth.test failed; retrying in 30 s (readyz stays 503)');
      retryTimer = setTimeout(() => { void authTest(); }, 30_000);
      retryTimer.unref();
    }
  }

  return {
    app, receiver, client, notifier,
    botUserId: () => auth.botUserId,
    async start(port = config.port) {
      await authTest();
      if (receiver instanceof HTTPReceiver) {
        const server = await receiver.start(port);
        return { port: (server.address() as AddressInfo).port };
      }
      healthServer = await listenHealth(routes, port);
      await socket!.start();
      return { port: (healthServer.address() as AddressInfo).port };
    },
    async stop() {
      if (retryTimer) clearTimeout(retryTimer);
      if (socket) await socket.stop();
      else await receiver.stop().catch((err: unknown) => logger.warn({ err: String(err) }, 'receiver stop failed'));
      if (healthServer) { const h = healthServer; h.closeAllConnections(); await new Promise<void>((r) => h.close(() => r())); }
      await notifier.flush();
    },
  };
}
