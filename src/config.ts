// The one place that reads process.env and the YAML config (STYLE habit 9): parsed once, every problem reported
// with its path, frozen result. Contract: .coord/CONFIG.md.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import {
  AlertmanagerYaml, PrometheusYaml, WindowYaml, type AlertmanagerGate, type MaintenanceWindow, type PrometheusGate,
} from './workflows/kube-proxy-mode/gates/gate-config.js';

export type { AlertmanagerGate, MaintenanceWindow, PrometheusGate };

export interface ClusterConfig {
  name: string;
  kubeconfig?: string;
  context?: string;
  production: boolean;
  approvers: { users: string[]; usergroups: string[] };
  requiredApprovals: number;
  approvalTtlMs: number;
  rollbackRequiredApprovals?: number;
  channels: string[];
  jobNamespace: string;
  jobImage?: string;
  /** Fleet runs: the 1-based wave this cluster moves in (overrides the top-level `waves` globs). */
  wave?: number;
  /** How long a run paused on an inconclusive check waits for Continue / Roll back / Abort before rolling back. */
  decisionTimeoutMs?: number;
  /** Checks whose fail/inconclusive is shown and audited but neither fails nor pauses the run (check-outcome.ts). */
  reportOnly?: string[];
  /** Gates (issue #12 items 4, 5): see src/workflows/kube-proxy-mode/gates/gate-config.ts. */
  prometheus?: PrometheusGate;
  window?: MaintenanceWindow;
  alertmanager?: AlertmanagerGate;
}

export interface Config {
  slack: { botToken: string; signingSecret?: string; appToken?: string; apiUrl?: string; socketMode: boolean };
  port: number;
  configPath: string;
  dbPath: string;
  kubeconfig?: string;
  logLevel: string;
  auditKey?: string;
  /** Bound of one Kubernetes API request (connect + answer; watches have their own idle bound): IPVS_BOT_K8S_TIMEOUT. */
  k8sRequestTimeoutMs?: number;
  clusters: ClusterConfig[];
  /** Fleet runs: cluster-name globs per wave, first wave first (`[[dev-*], [staging-*], [prod-*]]`). */
  waves?: string[][];
}

export interface ConfigProblem { path: string; message: string }

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** A silent API server costs at most this per request (issue #14 item 9); kube-apiserver answers reads in ms. */
export const DEFAULT_K8S_REQUEST_TIMEOUT_MS = 10_000;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** "30m", "2h", "1d", "45s", "90" (seconds) → ms. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] ?? 's'] ?? 1_000;
  return Math.round(Number(m[1]) * unit);
}

const nonEmpty = z.string().trim().min(1, 'must not be empty');

const EnvSchema = z.object({
  SLACK_BOT_TOKEN: z.string({ error: 'is required' }).trim().regex(/^xox[bp]-\S+$/, 'must be a bot token (xoxb-…)'),
  SLACK_SIGNING_SECRET: nonEmpty.optional(),
  SLACK_APP_TOKEN: z.string().trim().regex(/^xapp-\S+$/, 'must be an app-level token (xapp-…)').optional(),
  SLACK_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  PORT: z.string().regex(/^\d{1,5}$/, 'must be a port number').transform(Number)
    .pipe(z.number().int().min(1, 'must be 1-65535').max(65535, 'must be 1-65535')).optional(),
  IPVS_BOT_CONFIG: nonEmpty.optional(),
  IPVS_BOT_DB: nonEmpty.optional(),
  KUBECONFIG: nonEmpty.optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).optional(),
  IPVS_BOT_AUDIT_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  IPVS_BOT_K8S_TIMEOUT: z.string().transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < 100 || ms > 300_000) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration between 100ms and 5m, like "10s"' });
      return z.NEVER;
    }
    return ms;
  }).optional(),
});

const SlackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user ID (U… or W…)');
const SlackGroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user-group ID (S…)');
const SlackChannelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'must be a Slack channel ID (C…, G… or D…)');
/** Longest duration a config key accepts unless it says otherwise: beyond this a timer or a date overflows. */
export const DURATION_MAX = '30d';

/**
 * A duration key ("30m", "2h", "1d", or seconds) → ms, bounded: `max` (default 30d) keeps values that would break
 * later (a Date past year 275760, a setTimeout past 2^31 ms) out at load time, with the key's path in the error.
 */
export function duration(o: { max?: string; min?: string } = {}) {
  const maxText = o.max ?? DURATION_MAX;
  const maxMs = parseDuration(maxText)!;
  const minMs = o.min === undefined ? 1 : parseDuration(o.min)!;
  return z.string().or(z.number()).transform((v, ctx) => {
    const ms = parseDuration(String(v));
    if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration like "30m", "2h" or "1d"' });
      return z.NEVER;
    }
    if (ms > maxMs) { ctx.addIssue({ code: 'custom', message: `must be at most ${maxText} (got "${String(v).slice(0, 30)}")` }); return z.NEVER; }
    if (ms < minMs) { ctx.addIssue({ code: 'custom', message: `must be at least ${o.min} (got "${String(v).slice(0, 30)}")` }); return z.NEVER; }
    return ms;
  });
}

/** The default bounded duration (at most 30d); other keys use `duration({ max })` for their own limit. */
export const Duration = duration();

// The check names of contract A (session 10): node checks, h-sync's sync, h-gates' alerts and Prometheus checks.
const REPORT_ONLY_NAME = /^(log|proxyMode|ipvs|ping|tcp|dns|cleanup|sync|alerts|localhost-nodeports|prometheus:[A-Za-z0-9_.-]+)$/;

const ClusterYaml = z.object({
  name: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be lower-case letters, digits and "-" (DNS-1123 label)'),
  kubeconfig: nonEmpty.optional(),
  context: nonEmpty.optional(),
  production: z.boolean().default(false),
  approvers: z.object({
    users: z.array(SlackUserId).default([]),
    usergroups: z.array(SlackGroupId).default([]),
  }).strict(),
  requiredApprovals: z.number().int().min(1).optional(),
  approvalTtl: Duration.optional(),
  rollbackRequiredApprovals: z.number().int().min(1).optional(),
  channels: z.array(SlackChannelId).default([]),
  jobNamespace: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a namespace name').default('ipvs-bot-jobs'),
  jobImage: nonEmpty.optional(),
  wave: z.number().int().min(1, 'must be 1 or more (the first wave is 1)').max(100).optional(),
  decisionTimeout: Duration.optional(),
  reportOnly: z.array(z.string().regex(REPORT_ONLY_NAME, 'must be a check name: log, proxyMode, ipvs, ping, tcp, dns, cleanup, sync, alerts, localhost-nodeports or prometheus:<name>')).optional(),
  prometheus: PrometheusYaml(Duration).optional(),
  window: WindowYaml.optional(),
  alertmanager: AlertmanagerYaml(Duration).optional(),
}).strict();

// A glob of cluster names: DNS-1123 characters plus '*' and '?'.
const NameGlob = z.string().regex(/^[a-z0-9*?-]{1,63}$/, 'must be a cluster name or a pattern with * and ? (e.g. dev-*)');

const FileYaml = z.object({
  logLevel: z.enum(LOG_LEVELS).optional(),
  clusters: z.array(ClusterYaml).min(1, 'must list at least one cluster'),
  waves: z.array(z.array(NameGlob).min(1, 'a wave must list at least one pattern')).max(100).optional(),
}).strict();

function pathOf(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

function issuesToProblems(issues: readonly z.core.$ZodIssue[], prefix = ''): ConfigProblem[] {
  return issues.map((i) => {
    if (i.code === 'unrecognized_keys') {
      return { path: pathOf(prefix, i.path), message: `unknown key(s): ${i.keys.join(', ')}` };
    }
    return { path: pathOf(prefix, i.path), message: i.message };
  });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Approval-policy rules that need the whole cluster entry (the schema checks each field alone). */
function policyProblems(c: z.infer<typeof ClusterYaml>, i: number): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const required = c.requiredApprovals ?? (c.production ? 2 : 1);
  const approverCount = c.approvers.users.length;
  if (approverCount === 0 && c.approvers.usergroups.length === 0) {
    out.push({ path: `clusters[${i}].approvers`, message: 'must name at least one approver user or user group' });
  } else if (c.approvers.usergroups.length === 0 && approverCount < required) {
    out.push({ path: `clusters[${i}].requiredApprovals`, message: `needs ${required} approvals but only ${approverCount} approver(s) are listed` });
  }
  if (c.rollbackRequiredApprovals !== undefined && c.rollbackRequiredApprovals > required) {
    out.push({ path: `clusters[${i}].rollbackRequiredApprovals`, message: 'must not exceed requiredApprovals' });
  }
  return out;
}

// Read-only CLI verbs (plan, status, audit, doctor, db migrate) never talk to Slack: they need no Slack secret.
const EnvWithoutSlack = EnvSchema.extend({ SLACK_BOT_TOKEN: z.string().optional() });

/**
 * Reads env + the YAML file (opts.file overrides IPVS_BOT_CONFIG; opts.text skips the file read, for tests).
 * opts.slack false: Slack tokens are not required (config.slack.botToken is then '' unless set).
 */
export function loadConfig(env: NodeJS.ProcessEnv, opts: { file?: string; text?: string; slack?: boolean } = {}): Config {
  const problems: ConfigProblem[] = [];
  const needSlack = opts.slack ?? true;
  const e = (needSlack ? EnvSchema : EnvWithoutSlack).safeParse(env);
  if (!e.success) problems.push(...issuesToProblems(e.error.issues));
  const envOk = e.success ? e.data : undefined;

  if (needSlack && envOk && !envOk.SLACK_APP_TOKEN && !envOk.SLACK_SIGNING_SECRET) {
    problems.push({ path: 'SLACK_SIGNING_SECRET', message: 'is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)' });
  }

  const configPath = opts.file ?? (typeof env.IPVS_BOT_CONFIG === 'string' && env.IPVS_BOT_CONFIG.trim()
    ? env.IPVS_BOT_CONFIG.trim() : './ipvs-bot.yaml');
  let text = opts.text;
  if (text === undefined) {
    try {
      text = readFileSync(configPath, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({ path: configPath, message: code === 'ENOENT' ? 'config file not found' : `cannot read config file (${code ?? 'error'})` });
    }
  }

  let clusters: ClusterConfig[] = [];
  let yamlLogLevel: string | undefined;
  let waves: string[][] | undefined;
  if (text !== undefined) {
    const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const pos = err.linePos?.[0];
        problems.push({ path: `${configPath}${pos ? `:${pos.line}:${pos.col}` : ''}`, message: `YAML: ${err.message.split('\n')[0]}` });
      }
    } else {
      const raw = doc.toJS() as unknown;
      const f = FileYaml.safeParse(raw ?? {});
      if (!f.success) {
        problems.push(...issuesToProblems(f.error.issues));
        // Policy problems of the clusters that do parse are reported too, so one pass lists everything.
        const list = (raw as { clusters?: unknown } | null)?.clusters;
        if (Array.isArray(list)) {
          list.forEach((entry, i) => {
            const c = ClusterYaml.safeParse(entry);
            if (c.success) problems.push(...policyProblems(c.data, i));
          });
        }
      } else {
        yamlLogLevel = f.data.logLevel;
        waves = f.data.waves;
        clusters = f.data.clusters.map((c, i) => {
          const required = c.requiredApprovals ?? (c.production ? 2 : 1);
          problems.push(...policyProblems(c, i));
          const cluster: ClusterConfig = {
            name: c.name,
            production: c.production,
            approvers: { users: c.approvers.users, usergroups: c.approvers.usergroups },
            requiredApprovals: required,
            approvalTtlMs: c.approvalTtl ?? 3_600_000,
            channels: c.channels,
            jobNamespace: c.jobNamespace,
          };
          if (c.kubeconfig !== undefined) cluster.kubeconfig = c.kubeconfig;
          if (c.context !== undefined) cluster.context = c.context;
          if (c.rollbackRequiredApprovals !== undefined) cluster.rollbackRequiredApprovals = c.rollbackRequiredApprovals;
          if (c.jobImage !== undefined) cluster.jobImage = c.jobImage;
          if (c.wave !== undefined) cluster.wave = c.wave;
          if (c.decisionTimeout !== undefined) cluster.decisionTimeoutMs = c.decisionTimeout;
          if (c.reportOnly !== undefined) cluster.reportOnly = c.reportOnly;
          if (c.prometheus !== undefined) cluster.prometheus = c.prometheus;
          if (c.window !== undefined) cluster.window = c.window;
          if (c.alertmanager !== undefined) cluster.alertmanager = c.alertmanager;
          return cluster;
        });
        const seen = new Map<string, number>();
        clusters.forEach((c, i) => {
          const first = seen.get(c.name);
          if (first !== undefined) problems.push({ path: `clusters[${i}].name`, message: `duplicate of clusters[${first}].name "${c.name}"` });
          else seen.set(c.name, i);
        });
      }
    }
  }

  if (problems.length > 0 || !envOk) throw new ConfigError(problems);

  const config: Config = {
    slack: { botToken: envOk.SLACK_BOT_TOKEN ?? '', socketMode: envOk.SLACK_APP_TOKEN !== undefined },
    port: envOk.PORT ?? 3000,
    configPath,
    dbPath: envOk.IPVS_BOT_DB ?? './data/ipvs-bot.db',
    logLevel: envOk.LOG_LEVEL ?? yamlLogLevel ?? 'info',
    k8sRequestTimeoutMs: envOk.IPVS_BOT_K8S_TIMEOUT ?? DEFAULT_K8S_REQUEST_TIMEOUT_MS,
    clusters,
  };
  if (waves !== undefined) config.waves = waves;
  if (envOk.SLACK_SIGNING_SECRET !== undefined) config.slack.signingSecret = envOk.SLACK_SIGNING_SECRET;
  if (envOk.SLACK_APP_TOKEN !== undefined) config.slack.appToken = envOk.SLACK_APP_TOKEN;
  if (envOk.SLACK_API_URL !== undefined) config.slack.apiUrl = envOk.SLACK_API_URL;
  if (envOk.KUBECONFIG !== undefined) config.kubeconfig = envOk.KUBECONFIG;
  if (envOk.IPVS_BOT_AUDIT_KEY !== undefined) config.auditKey = envOk.IPVS_BOT_AUDIT_KEY;
  return deepFreeze(config);
}
