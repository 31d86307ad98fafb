// Thread reply for one node's result (prep / verify / cleanup JSON from the node Job, plus log excerpts).
import { codeBlock, esc, section, truncate, type Block } from './text.js';

type R = Record<string, unknown>;
const obj = (v: unknown): R | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v as R : undefined);

type NodeEvent = { node: string; phase: string; ok: boolean; result: R };

function facts(e: NodeEvent): { r: R; title: string; lines: string[]; log?: string } {
  // The engine nests the verify Job's JSON under `verify`; read its facts as if they were top-level.
  const r: R = { ...(obj(e.result.verify) ?? {}), ...e.result };
  const lines: string[] = [];
  if (typeof r.kernel === 'string') lines.push(`Kernel: ${esc(r.kernel)}`);
  const modules = obj(r.modules);
  if (modules) lines.push(`Modules: ${Object.entries(modules).map(([k, v]) => `${esc(k)} ${v === 'loaded' ? ':white_check_mark:' : `:x: ${esc(String(v))}`}`).join(', ')}`);
  if (typeof r.proxyMode === 'string') lines.push(`/proxyMode: \`${esc(r.proxyMode)}\``);
  if (typeof r.kubeIpvs0 === 'boolean') lines.push(`kube-ipvs0: ${r.kubeIpvs0 ? 'present' : 'absent'}`);
  if (typeof r.ipvsServices === 'number') lines.push(`IPVS virtual servers: ${r.ipvsServices}${typeof r.expectedServices === 'number' ? ` (expected ${r.expectedServices})` : ''}`);
  const tcp = obj(r.tcp); const dns = obj(r.dns); const ping = obj(r.ping);
  if (tcp) lines.push(`TCP ${esc(String(tcp.target ?? ''))}: ${tcp.ok ? ':white_check_mark:' : ':x:'}`);
  if (dns) lines.push(`DNS ${esc(String(dns.name ?? ''))}: ${dns.ok ? ':white_check_mark:' : ':x:'}`);
  if (ping) lines.push(`Ping ${esc(String(ping.target ?? ''))}: ${String(ping.replies ?? 0)} replies`);
  const removed = obj(r.removed);
  if (removed) lines.push(`Removed: ${Object.entries(removed).map(([k, v]) => `${String(v)} ${esc(k)}`).join(', ')}`);
  const errors = Array.isArray(r.errors) ? r.errors.map(String) : [];
  if (errors.length) lines.push(`Errors: ${errors.slice(0, 5).map(esc).join('; ')}`);
  const title = `${e.ok ? ':white_check_mark:' : ':x:'} *${esc(e.node)}* ${esc(e.phase)} ${e.ok ? 'ok' : 'FAILED'}`;
  const log = typeof r.logExcerpt === 'string' ? r.logExcerpt : typeof r.log === 'string' ? r.log : undefined;
  return { r, title, lines, ...(log ? { log } : {}) };
}

function plainText(e: NodeEvent, lines: string[]): string {
  return truncate(`${e.node} ${e.phase} ${e.ok ? 'ok' : 'FAILED'}${lines.length ? `: ${lines.join('; ')}` : ''}`.replace(/:[a-z_]+:/g, '').replace(/[*`]/g, ''), 3000);
}

export function nodeResultView(e: NodeEvent): { text: string; blocks: Block[] } {
  const { r, title, lines, log } = facts(e);
  const blocks: Block[] = [section(truncate([title, ...lines].join('\n'), 3000))];
  if (log) blocks.push(section(`kube-proxy log\n${codeBlock(log, 2900)}`));
  blocks.push(section(`Result JSON\n${codeBlock(JSON.stringify(r, null, 1), 2900)}`));
  return { text: plainText(e, lines), blocks };
}

/**
 * One node's result in one section: the facts, plus the kube-proxy log line that names the proxier. Used when
 * several nodes' results are waiting and go out as one message; the full Job JSON stays in the audit log.
 */
export function nodeResultLine(e: NodeEvent): { text: string; block: Block } {
  const { title, lines, log } = facts(e);
  const proxier = log?.split('\n').find((l) => /Using \w+ Proxier|can't use the IPVS proxier/.test(l));
  const body = [title, ...lines, ...(proxier ? [`kube-proxy: \`${esc(truncate(proxier.replace(/`/g, "'"), 300))}\``] : [])].join('\n');
  return { text: plainText(e, lines), block: section(truncate(body, 3000)) };
}
