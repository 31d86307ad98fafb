// The JSON line each node Job writes (DESIGN.md "node Jobs"), read at the boundary with loose zod schemas: extra
// fields are kept, missing optional ones are undefined. The judgement of what a result means is pure and lives here.
import { z } from 'zod';
import type { ProxyMode } from './api.js';

const Base = z.looseObject({
  phase: z.string().optional(),
  node: z.string().optional(),
  ok: z.boolean(),
  errors: z.array(z.string()).default([]),
  warnings: z.array(z.string()).optional(),
});

export const PrepResult = Base.extend({
  kernel: z.string().optional(),
  modules: z.record(z.string(), z.string()).default({}),
  ipvsProbe: z.string().optional(),
  foreignIpvsServicesCount: z.number().nullable().optional(),
  leftovers: z.record(z.string(), z.number()).optional(),
});
export type PrepResult = z.infer<typeof PrepResult>;

export const VerifyResult = Base.extend({
  proxyMode: z.string().optional(),
  kubeIpvs0: z.boolean().optional(),
  ipvsServices: z.number().nullable().optional(),
  kubernetesIpvsServices: z.number().nullable().optional(),
  tcp: z.looseObject({ target: z.string().optional(), ok: z.boolean() }).optional(),
  dns: z.looseObject({ name: z.string().optional(), ok: z.boolean() }).optional(),
  ping: z.looseObject({ target: z.string().optional(), replies: z.number() }).optional(),
  /** kube-proxy's nftables tables ("ip kube-proxy"), null when nft was not available to the Job. */
  nftTables: z.array(z.string()).nullable().optional(),
});
export type VerifyResult = z.infer<typeof VerifyResult>;

export const CleanupResult = Base.extend({ removed: z.record(z.string(), z.number()).optional() });
export type CleanupResult = z.infer<typeof CleanupResult>;

/** Parses a Job's JSON result; a missing or malformed one becomes a failed result that says so. */
export function readResult<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  return schema.parse({ ok: false, errors: [raw === undefined ? 'the Job wrote no result' : `unreadable Job result: ${r.error.issues[0]?.message ?? 'invalid'}`] });
}

/** Modules the prep Job could not load. */
export function missingModules(r: PrepResult): string[] {
  return Object.entries(r.modules).filter(([, state]) => state !== 'loaded').map(([m]) => m).sort();
}

export interface VerifyExpectation {
  mode: ProxyMode;
  /** Service ports with a ClusterIP: IPVS mode holds at least one virtual server for each. */
  servicePorts: number;
}

/**
 * What is wrong with a node after its kube-proxy restarted, judged from the verify Job (domain §4.3, §5): mode,
 * kube-ipvs0, the IPVS table, TCP and DNS through Services, and ping read as a mode fingerprint.
 */
export function verifyProblems(r: VerifyResult, want: VerifyExpectation): string[] {
  const p: string[] = [];
  if (r.proxyMode !== want.mode) p.push(`/proxyMode says ${r.proxyMode ? JSON.stringify(r.proxyMode) : 'nothing'}, expected ${want.mode}`);
  if (want.mode === 'ipvs') {
    if (r.kubeIpvs0 !== true) p.push('kube-ipvs0 does not exist');
    if (typeof r.ipvsServices === 'number' && r.ipvsServices < want.servicePorts) {
      p.push(`${r.ipvsServices} IPVS virtual servers, expected at least ${want.servicePorts} (one per Service port)`);
    }
    if (r.ping && r.ping.replies === 0) p.push(`ClusterIP ${r.ping.target ?? ''} does not answer ping: it is not on kube-ipvs0`.replace('  ', ' '));
  } else {
    if (r.kubeIpvs0 === true) p.push('kube-ipvs0 is still there (an IPVS leftover)');
    if (typeof r.kubernetesIpvsServices === 'number' && r.kubernetesIpvsServices > 0) {
      p.push(`${r.kubernetesIpvsServices} IPVS virtual servers created by Kubernetes are still there`);
    }
    if (r.ping && r.ping.replies > 0) p.push(`ClusterIP ${r.ping.target ?? ''} answers ping in ${want.mode} mode: a leftover kube-ipvs0 owns it`.replace('  ', ' '));
  }
  if (Array.isArray(r.nftTables)) {
    if (want.mode === 'nftables' && r.nftTables.length === 0) p.push("kube-proxy's nftables table (ip kube-proxy) does not exist");
    if (want.mode !== 'nftables' && r.nftTables.length > 0) p.push(`kube-proxy's nftables tables are still there (${r.nftTables.join(' ')}): an nftables leftover`);
  }
  if (r.tcp && !r.tcp.ok) p.push(`TCP connect to ${r.tcp.target ?? 'the kubernetes Service'} failed`);
  if (r.dns && !r.dns.ok) p.push(`DNS lookup of ${r.dns.name ?? 'the cluster DNS name'} failed`);
  for (const e of r.errors) if (!p.includes(e)) p.push(e);
  return p;
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
