// Thread reply for one node once it is done: its restart, verify and cleanup results (the node Job JSON and the
// kube-proxy log excerpt) as one line each. The full JSON stays in the audit log (/ipvs audit export).
import { esc, section, truncate, type Block } from './text.js';

type R = Record<string, unknown>;
const obj = (v: unknown): R | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v as R : undefined);
const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

export type NodeEvent = { node: string; phase: string; ok: boolean; result: R };

/** How each phase reads when it is the last one a node reached. */
const DONE_WORDS: Record<string, [ok: string, failed: string]> = {
  prep: ['prepared', 'prep failed'],
  restarting: ['restarting', 'restart failed'],
  restarted: ['restarted', 'restart failed'],
  verified: ['switched and verified', 'failed verification'],
  verify: ['verified', 'failed verification'],
  'rolled-back': ['rolled back and verified', 'rollback failed'],
};

// What a ping outcome means depends on mode and version (domain doc §5: from v1.26 KUBE-IPVS-FILTER rejects it).
const PING_EXPECTED: Record<string, string> = {
  'ipvs:rejected': 'expected in IPVS mode from v1.26',
  'ipvs:replied': 'expected in IPVS mode before v1.26',
  'ipvs:replied-or-rejected': 'expected in IPVS mode',
};

function pingLine(ping: R, mode: string): string {
  const target = esc(str(ping.target));
  if (typeof ping.outcome === 'string') {
    const words: Record<string, string> = { replied: 'replied', rejected: 'rejected', 'no-answer': 'no answer', error: 'could not run' };
    const outcome = words[ping.outcome] ?? esc(ping.outcome);
    const expected = typeof ping.expected === 'string' ? ping.expected : undefined;
    const meets = expected === undefined ? undefined
      : expected === 'replied-or-rejected' ? ping.outcome === 'replied' || ping.outcome === 'rejected'
        : expected === 'no-reply' ? ping.outcome === 'no-answer' || ping.outcome === 'rejected' : ping.outcome === expected;
    const why = expected === undefined ? ''
      : meets ? ` (${PING_EXPECTED[`${mode}:${expected}`] ?? (expected === 'no-reply' ? `expected in ${esc(mode || 'this')} mode: no one owns a ClusterIP` : 'as expected')})`
        : ` (expected: ${esc(expected.replace(/-/g, ' '))})`;
    return `ping ${target}: ${outcome}${why}`;
  }
  const rejected = typeof ping.rejected === 'number' && ping.rejected > 0 ? `, ${ping.rejected} rejected` : '';
  return `ping ${target}: ${str(ping.replies) || '0'} replies${rejected}`;
}

function dnsLine(dns: R): string {
  const name = esc(str(dns.name));
  if (dns.ok) {
    const answers = Array.isArray(dns.answers) ? dns.answers.map(str).filter(Boolean) : [];
    return `DNS ${name}: ${answers.length ? esc(answers.slice(0, 3).join(', ')) : 'resolved'}`;
  }
  return `DNS ${name} failed${typeof dns.status === 'string' ? `: ${esc(dns.status)}` : ''}`;
}

/** The facts of all of a node's results, one line per kind, in the order the run produced them. */
function factLines(events: NodeEvent[]): { lines: string[]; proxier?: string } {
  const lines: string[] = [];
  let proxier: string | undefined;
  for (const e of events) {
    // The engine nests the verify Job's JSON under `verify`; read its facts as if they were top-level.
    const r: R = { ...(obj(e.result.verify) ?? {}), ...e.result };
    if (e.phase === 'restarted' && e.ok) {
      const pod = obj(r.pod); const calico = obj(r.calicoPod);
      lines.push(`Restart: new kube-proxy pod ${esc(str(pod?.name) || '?')} Ready${calico ? `, calico-node ${esc(str(calico.name))} restarted` : ''}`);
    }
    if (typeof r.kernel === 'string') lines.push(`Kernel: ${esc(r.kernel)}`);
    const modules = obj(r.modules);
    if (modules) {
      const missing = Object.entries(modules).filter(([, v]) => v !== 'loaded');
      lines.push(missing.length ? `Modules: ${missing.map(([k, v]) => `${esc(k)} ${esc(str(v))}`).join(', ')}` : `Modules: ${Object.keys(modules).length} loaded`);
    }
    const log = typeof r.logExcerpt === 'string' ? r.logExcerpt : typeof r.log === 'string' ? r.log : undefined;
    const line = log?.split('\n').find((l) => /Using \w+ Proxier|can't use the IPVS proxier/.test(l));
    if (line) proxier = line;
    const verify: string[] = [];
    if (typeof r.proxyMode === 'string') verify.push(`/proxyMode ${esc(r.proxyMode)}`);
    if (typeof r.kubeIpvs0 === 'boolean') verify.push(`kube-ipvs0 ${r.kubeIpvs0 ? 'present' : 'absent'}`);
    if (typeof r.ipvsServices === 'number') verify.push(`${r.ipvsServices} IPVS virtual servers${typeof r.expectedServices === 'number' ? ` (expected ${r.expectedServices})` : ''}`);
    if (verify.length) lines.push(`Verify: ${verify.join(', ')}`);
    const tcp = obj(r.tcp); const dns = obj(r.dns); const ping = obj(r.ping);
    if (tcp) lines.push(`TCP ${esc(str(tcp.target))}: ${tcp.ok ? 'connected' : 'failed'}`);
    if (dns) lines.push(dnsLine(dns));
    if (ping) lines.push(pingLine(ping, str(r.mode)));
    const removed = obj(r.removed);
    if (removed) lines.push(`Cleanup: removed ${Object.entries(removed).filter(([, v]) => v !== 0).map(([k, v]) => `${str(v)} ${esc(k)}`).join(', ') || 'nothing'}`);
    const errors = Array.isArray(r.errors) ? r.errors.map(String) : [];
    if (errors.length) lines.push(`Errors: ${errors.slice(0, 5).map(esc).join('; ')}`);
  }
  return { lines, ...(proxier ? { proxier } : {}) };
}

/** "worker-1 switched and verified" / "worker-1 failed verification": the status in words. */
export function nodeStatusWords(events: NodeEvent[]): string {
  const last = events[events.length - 1]!;
  const failed = events.find((e) => !e.ok);
  const e = failed ?? last;
  const words = DONE_WORDS[e.phase] ?? [`${e.phase} ok`, `${e.phase} failed`];
  return `${e.node} ${failed ? words[1] : words[0]}`;
}

/** Notification text: a sentence with the status in words, no emoji or mrkdwn (phones and screen readers read it). */
function sentence(events: NodeEvent[], lines: string[]): string {
  const plain = lines.map((l) => l.replace(/[*`]/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  return truncate(`${nodeStatusWords(events)}${plain.length ? `: ${plain.join('; ')}` : ''}.`, 3000);
}

/** One node's results (all phases of this node, oldest first) as one section. */
export function nodeResultLine(events: NodeEvent[]): { text: string; block: Block } {
  const { lines, proxier } = factLines(events);
  const failed = events.some((e) => !e.ok);
  const title = `${failed ? ':x:' : ':white_check_mark:'} *${esc(nodeStatusWords(events))}*`;
  const all = [...(proxier ? [`kube-proxy: \`${esc(truncate(proxier.replace(/`/g, "'"), 300))}\``] : []), ...lines];
  return { text: sentence(events, all), block: section(truncate([title, ...all].join('\n'), 3000)) };
}

/** A reply for one node that is done. */
export function nodeResultView(events: NodeEvent[]): { text: string; blocks: Block[] } {
  const { text, block } = nodeResultLine(events);
  return { text, blocks: [block] };
}
