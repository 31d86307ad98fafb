// The JSON line each node Job writes (DESIGN.md "node Jobs"). Required fields (ok, errors) are read strictly and
// decide the outcome; informational ones are read leniently: a field that does not have the expected shape is
// dropped with a warning that names its path, and never turns a good result into a failure (issue #15: an
// independent implementation of the contract added a string inside `leftovers`). Extra fields are kept as they came.
import { z } from 'zod';
import type { ProxyMode } from './api.js';
import type { CheckResult } from './check-outcome.js';

/** Numbers of a counts object; other entries dropped (reported by `lenient`). */
const Counts = z.record(z.string(), z.number());

const Required = z.looseObject({
  phase: z.string().optional(),
  node: z.string().optional(),
  ok: z.boolean(),
  errors: z.array(z.string()).default([]),
});

type Shape = Record<string, z.ZodType>;
export type ResultOf<S extends Shape> = z.infer<typeof Required> & { warnings?: string[] } & { [K in keyof S]?: z.infer<S[K]> } & Record<string, unknown>;
type Parsed<T> = { success: true; data: T } | { success: false; error: string };

/** A result reader: `Required` strictly, each informational field on its own; counts keep their numeric entries. */
export class ResultSchema<S extends Shape> {
  constructor(private readonly info: S) {}

  safeParse(raw: unknown): Parsed<ResultOf<S>> {
    const base = Required.safeParse(raw);
    if (!base.success) return { success: false, error: issueText(base.error) };
    const src = raw as Record<string, unknown>;
    const out: Record<string, unknown> = { ...src, ...base.data };
    const dropped: string[] = [];
    const warnings = Array.isArray(src.warnings) ? src.warnings.filter((w): w is string => typeof w === 'string') : [];
    if (src.warnings !== undefined && (!Array.isArray(src.warnings) || warnings.length !== src.warnings.length)) dropped.push('warnings: expected a list of strings');
    for (const [key, schema] of Object.entries(this.info)) {
      const v = src[key];
      if (v === undefined) continue;
      const r = schema.safeParse(v);
      if (r.success) { out[key] = r.data; continue; }
      if (schema === Counts && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const entries = Object.entries(v as Record<string, unknown>);
        out[key] = Object.fromEntries(entries.filter(([, x]) => typeof x === 'number'));
        for (const [k, x] of entries) if (typeof x !== 'number') dropped.push(`${key}.${k}: expected a number, got ${x === null ? 'null' : typeof x}`);
        continue;
      }
      delete out[key];
      const i = r.error.issues[0];
      dropped.push(`${[key, ...(i?.path ?? [])].join('.')}: ${i?.message ?? 'invalid'}`);
    }
    out.warnings = [...warnings, ...dropped.map((d) => `ignored an unreadable field of the Job result (${d})`)];
    return { success: true, data: out as ResultOf<S> };
  }

  /** Like safeParse, for results the bot builds itself (tests, synthesised failures); throws on a bad one. */
  parse(raw: unknown): ResultOf<S> {
    const r = this.safeParse(raw);
    if (!r.success) throw new Error(`invalid Job result: ${r.error}`);
    return r.data;
  }
}

function issueText(e: z.ZodError): string {
  const i = e.issues[0];
  if (!i) return 'invalid';
  return `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`;
}

const PREP_FIELDS = {
  kernel: z.string(),
  modules: z.record(z.string(), z.string()),
  ipvsProbe: z.string(),
  foreignIpvsServices: z.array(z.string()),
  foreignIpvsServicesCount: z.number().nullable(),
  leftovers: Counts,
  sysctlsBefore: z.record(z.string(), z.string()),
  /** lib.sh live_metrics: the running kube-proxy's /metrics (live-preflight.ts). */
  live: z.looseObject({ metricsStatus: z.number().nullable() }),
};
export const PrepResult = new ResultSchema(PREP_FIELDS);
export type PrepResult = ResultOf<typeof PREP_FIELDS>;

/** lib.sh wait_for_sync: whether (and how fast) the new kube-proxy finished a sync after it started. */
const SYNC = z.looseObject({
  synced: z.boolean(),
  startedAt: z.number().nullable().optional(),
  syncedAt: z.number().nullable().optional(),
  waitedMs: z.number().optional(),
  polls: z.number().optional(),
  timeoutMs: z.number().optional(),
  syncDurationMs: z.number().optional(),
  healthz: z.looseObject({ status: z.number().nullable(), lastUpdated: z.string().optional() }).optional(),
  metricsStatus: z.number().nullable().optional(),
});
export type SyncReport = z.infer<typeof SYNC>;

const VERIFY_FIELDS = {
  sync: SYNC,
  proxyMode: z.string(),
  kubeIpvs0: z.boolean(),
  ipvsServices: z.number().nullable(),
  kubernetesIpvsServices: z.number().nullable(),
  kubeSvcChains: z.number().nullable(),
  tcp: z.looseObject({ target: z.string().optional(), ok: z.boolean() }),
  dns: z.looseObject({ name: z.string().optional(), ok: z.boolean(), status: z.string().optional(), answers: z.array(z.string()).optional() }),
  ping: z.looseObject({
    target: z.string().optional(), replies: z.number(), rejected: z.number().optional(),
    expected: z.string().optional(), outcome: z.string().optional(),
  }),
  /** kube-proxy's nftables tables ("ip kube-proxy"), null when nft was not available to the Job. */
  nftTables: z.array(z.string()).nullable(),
};
export const VerifyResult = new ResultSchema(VERIFY_FIELDS);
export type VerifyResult = ResultOf<typeof VERIFY_FIELDS>;

const CLEANUP_FIELDS = { sync: SYNC, removed: Counts, restoredSysctls: z.record(z.string(), z.string()) };
export const CleanupResult = new ResultSchema(CLEANUP_FIELDS);
export type CleanupResult = ResultOf<typeof CLEANUP_FIELDS>;

/** Parses a Job's JSON result; one whose required fields are missing or malformed becomes a failed result that says so. */
export function readResult<S extends Shape>(schema: ResultSchema<S>, raw: unknown): ResultOf<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  return schema.parse({ ok: false, errors: [raw === undefined ? 'the Job wrote no result' : `unreadable Job result: ${r.error}`] });
}

/** Modules the prep Job could not load. */
export function missingModules(r: PrepResult): string[] {
  return Object.entries(r.modules ?? {}).filter(([, state]) => state !== 'loaded').map(([m]) => m).sort();
}

export interface VerifyExpectation {
  mode: ProxyMode;
  /** Service ports with a ClusterIP: IPVS mode holds at least one virtual server for each. */
  servicePorts: number;
  /** kube-proxy's minor version: what ping to a ClusterIP answers in IPVS mode depends on it (domain §5). */
  kubeProxyMinor?: number;
  /** How the old mode's leftovers were handled before this verify: 'none' leaves them (reported, not failed). */
  cleanup?: 'targeted' | 'none' | 'done';
}

export type PingOutcome = 'replied' | 'rejected' | 'no-answer' | 'error';

/** What a ping to a ClusterIP should get (domain §5): KUBE-IPVS-FILTER REJECTs it from v1.26 (k/k PR #108460). */
export function expectedPing(mode: ProxyMode, minor: number | undefined): 'replied' | 'rejected' | 'replied-or-rejected' | 'no-reply' {
  if (mode !== 'ipvs') return 'no-reply';
  if (minor === undefined) return 'replied-or-rejected';
  return minor >= 26 ? 'rejected' : 'replied';
}

export function pingOutcome(p: NonNullable<VerifyResult['ping']>): PingOutcome {
  if (p.outcome === 'replied' || p.outcome === 'rejected' || p.outcome === 'no-answer' || p.outcome === 'error') return p.outcome;
  if (p.replies > 0) return 'replied';
  return (p.rejected ?? 0) > 0 ? 'rejected' : 'no-answer';
}

/**
 * What is wrong with a node after its kube-proxy restarted, judged from the verify Job (domain §4.3, §5): mode,
 * kube-ipvs0, the IPVS table, the old mode's Service chains, TCP and DNS through Services, and ping read for what
 * it means on this version. Ping alone fails a node only where an answer is certain: no reply from a kube-ipvs0
 * address before v1.26, or a reply in iptables/nftables mode (a leftover kube-ipvs0 owns the address).
 */
export function verifyProblems(r: VerifyResult, want: VerifyExpectation): string[] {
  const p: string[] = [];
  const cleaned = want.cleanup !== 'none';
  if (r.proxyMode !== want.mode) p.push(`/proxyMode says ${r.proxyMode ? JSON.stringify(r.proxyMode) : 'nothing'}, expected ${want.mode}`);
  const ping = r.ping ? { target: r.ping.target ?? 'the ClusterIP', outcome: pingOutcome(r.ping) } : undefined;
  if (want.mode === 'ipvs') {
    if (r.kubeIpvs0 !== true) p.push('kube-ipvs0 does not exist');
    if (typeof r.ipvsServices === 'number' && r.ipvsServices < want.servicePorts) {
      p.push(`${r.ipvsServices} IPVS virtual servers, expected at least ${want.servicePorts} (one per Service port)`);
    }
    if (ping && expectedPing(want.mode, want.kubeProxyMinor) === 'replied' && (ping.outcome === 'no-answer' || ping.outcome === 'rejected')) {
      p.push(`ClusterIP ${ping.target} does not answer ping: it is not on kube-ipvs0 (kube-proxy before v1.26 answers from there)`);
    }
    // iptables mode's nat chains left behind keep DNATing to endpoints nobody updates (domain §4.3, §6.6).
    if (cleaned && typeof r.kubeSvcChains === 'number' && r.kubeSvcChains > 0) {
      p.push(`${r.kubeSvcChains} KUBE-SVC-* chains of iptables mode are still in the nat table: the old mode was not cleaned up`);
    }
  } else {
    if (cleaned && r.kubeIpvs0 === true) p.push('kube-ipvs0 is still there (an IPVS leftover)');
    if (cleaned && typeof r.kubernetesIpvsServices === 'number' && r.kubernetesIpvsServices > 0) {
      p.push(`${r.kubernetesIpvsServices} IPVS virtual servers created by Kubernetes are still there`);
    }
    if (cleaned && ping?.outcome === 'replied') p.push(`ClusterIP ${ping.target} answers ping in ${want.mode} mode: a leftover kube-ipvs0 owns it`);
    if (want.mode === 'iptables' && want.servicePorts > 0 && r.kubeSvcChains === 0) p.push('iptables mode programmed no KUBE-SVC-* chains for the Services');
  }
  if (Array.isArray(r.nftTables)) {
    if (want.mode === 'nftables' && r.nftTables.length === 0) p.push("kube-proxy's nftables table (ip kube-proxy) does not exist");
    if (cleaned && want.mode !== 'nftables' && r.nftTables.length > 0) p.push(`kube-proxy's nftables tables are still there (${r.nftTables.join(' ')}): an nftables leftover`);
  }
  if (r.tcp && !r.tcp.ok) p.push(`TCP connect to ${r.tcp.target ?? 'the kubernetes Service'} failed`);
  if (r.dns && !r.dns.ok) p.push(`DNS lookup of ${r.dns.name ?? 'the cluster DNS name'} failed${r.dns.status ? `: ${r.dns.status}` : ''}`);
  // The Job's own errors count too, except the leftover findings that 'none' deliberately keeps.
  for (const e of r.errors) if (!p.includes(e) && (cleaned || !LEFTOVER_ERROR.test(e))) p.push(e);
  return p;
}

const LEFTOVER_ERROR = /kube-ipvs0|answers ping|IPVS virtual servers created by Kubernetes|an nftables leftover|KUBE-SVC/;

/** One line for the thread: what ping got, and whether that is what this mode and version give. */
export function pingSummary(r: VerifyResult, want: Pick<VerifyExpectation, 'mode' | 'kubeProxyMinor'>): string | undefined {
  if (!r.ping) return undefined;
  const got = pingOutcome(r.ping);
  const exp = expectedPing(want.mode, want.kubeProxyMinor);
  const fits = exp === 'no-reply' ? got !== 'replied' : exp === 'replied-or-rejected' ? got === 'replied' || got === 'rejected' : got === exp;
  const why = want.mode === 'ipvs'
    ? (exp === 'rejected' ? 'KUBE-IPVS-FILTER rejects it from v1.26' : exp === 'replied' ? 'kube-ipvs0 answers before v1.26' : 'version unknown')
    : 'nobody owns a ClusterIP';
  return `ping ${r.ping.target ?? ''}: ${got}${fits ? ` (expected: ${why})` : ` (unexpected: ${why})`}`.replace('ping :', 'ping:');
}

const USING: Record<ProxyMode, RegExp> = {
  ipvs: /Using ipvs Proxier/,
  iptables: /Using iptables Prox(ier|y)/,
  nftables: /Using nftables Proxier/,
};

/** What the new kube-proxy pod's log says is wrong, if anything (domain §4.1). */
export function logProblems(log: string, mode: ProxyMode): string[] {
  const p: string[] = [];
  if (!USING[mode].test(log)) p.push(`the kube-proxy log has no "Using ${mode} Proxier" line`);
  if (/can't use the IPVS proxier/i.test(log)) p.push('kube-proxy says "can\'t use the IPVS proxier"');
  if (/IPVS proxier will not be used/.test(log)) p.push('kube-proxy fell back: "IPVS proxier will not be used"');
  if (mode !== 'ipvs' && /Using ipvs Proxier/.test(log)) p.push('kube-proxy still starts the IPVS proxier');
  if (/requires kernel 5\.13 or later/.test(log)) p.push('kube-proxy says nftables mode requires kernel 5.13 or later');
  return p;
}

/** The lines worth quoting in the thread: the proxier line and any error lines (at most 5). */
export function logExcerpt(log: string): string {
  const lines = log.split('\n').filter((l) => /Using \w+ Prox|can't use|Error running|not be used|deprecated|requires kernel|^E\d{4}/.test(l));
  return lines.slice(0, 5).join('\n').slice(0, 1500);
}

// Which check a problem line belongs to (the names of check-outcome.ts). Order matters: a leftover line that mentions
// kube-ipvs0 is a cleanup finding, a ping line that mentions it a ping finding.
const CHECK_OF: [RegExp, string][] = [
  [/^kube-proxy did not sync within|^IPVS_BOT_SYNC_/, 'sync'],
  [/kube-proxy log|Proxier|IPVS proxier|requires kernel 5\.13/, 'log'],
  [/^cleanup of|leftover|still there|still in the nat table|not cleaned up/, 'cleanup'],
  [/does not answer ping|ping/, 'ping'],
  [/proxyMode|reports mode|programmed no KUBE-SVC|\(ip kube-proxy\) does not exist/, 'proxyMode'],
  [/kube-ipvs0|IPVS virtual servers/, 'ipvs'],
  [/^TCP /, 'tcp'],
  [/^DNS /, 'dns'],
];

export function checkNameOf(problem: string): string {
  return CHECK_OF.find(([re]) => re.test(problem))?.[1] ?? 'verify';
}

/**
 * The node's problems as three-outcome checks (issue #12 item 3). A check is inconclusive, not failed, when the probe
 * could not see rather than saw something wrong:
 * - dns: no DNS server answered (dig exit 9, status 'timeout') while TCP through the kubernetes Service works. A Service
 *   without endpoints is REJECTed by iptables/nftables kube-proxy and black-holed by an IPVS virtual server with no real
 *   servers (kubernetes/kubernetes pkg/proxy/iptables/proxier.go "has no endpoints" → REJECT; pkg/proxy/ipvs), so dig
 *   gets no answer in every mode: with the Service path shown working by TCP, that points at kube-dns's endpoints.
 * - proxyMode: kube-proxy's metrics endpoint did not answer (/proxyMode empty) while its log shows the right proxier.
 * - log: the API server did not hand out the pod's log.
 * - sync: kube-proxy's /metrics did not answer at all while the log shows the proxier (a /metrics that answers but
 *   shows no sync after the start fails: a stuck kube-proxy).
 * Every check of the contract list that has no problem passes (tcp/dns/ping only when the Job probed them).
 */
export function nodeCheckResults(node: string, problems: readonly string[], r: VerifyResult, sync: SyncReport | undefined = r.sync): CheckResult[] {
  const by = new Map<string, string[]>();
  for (const p of problems) { const n = checkNameOf(p); by.set(n, [...(by.get(n) ?? []), p]); }
  const names = [...(sync ? ['sync'] : []), 'log', 'proxyMode', 'ipvs', 'cleanup', ...(r.ping ? ['ping'] : []), ...(r.tcp ? ['tcp'] : []), ...(r.dns ? ['dns'] : []), ...by.keys()];
  const logOk = !by.has('log');
  const inconclusive = (name: string, lines: string[]): boolean => {
    // Nothing answered on /metrics at all (wrong address, firewall) while the log shows the proxier: not seen, not
    // stuck. A /metrics that answers without a sync after the start is a kube-proxy that did not sync: a failure.
    if (name === 'sync') return sync?.synced === false && (sync.metricsStatus ?? null) === null && logOk;
    if (name === 'dns') return r.dns?.status === 'timeout' && r.tcp?.ok === true;
    if (name === 'proxyMode') return !r.proxyMode && logOk && lines.every((l) => /did not answer|says nothing/.test(l));
    if (name === 'log') return lines.every((l) => /^could not read the kube-proxy log/.test(l));
    return false;
  };
  return [...new Set(names)].map((name): CheckResult => {
    const lines = by.get(name);
    if (!lines) return { name, outcome: 'pass', detail: 'ok', node };
    return { name, outcome: inconclusive(name, lines) ? 'inconclusive' : 'fail', detail: lines.join('; '), node };
  });
}
