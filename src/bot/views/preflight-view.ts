// The live pre-flight on the run card (issue #12 item 2): what the prep Jobs read from each node's running kube-proxy
// (live-preflight.ts), summed and per node, with the verdicts for the target mode. Shown from the moment prep has run,
// including while the run waits for a decision on it.
import type { Plan, RunStatus } from '../../workflows/kube-proxy-mode/api.js';
import { context, esc, section, slackDate, truncate, type Block } from './text.js';

const EMOJI: Record<string, string> = { pass: ':white_check_mark:', warn: ':warning:', block: ':no_entry:' };
const n = (v: number) => v.toLocaleString('en-US');

export function preflightBlocks(s: RunStatus): Block[] {
  if (!s.preflight) return [];
  return liveBlocks(s.preflight, '', 'Read by the prep Jobs from each node\'s running kube-proxy before anything changed; per-node values in the audit log');
}

/** The plan card's copy: what the cluster's last prep Jobs read, judged for this plan's target. */
export function planLiveBlocks(plan: Plan): Block[] {
  const p = plan.livePreflight;
  if (!p) return [];
  return liveBlocks(p, `, as run \`${esc(p.fromRun)}\`'s prep Jobs read it ${p.at ? slackDate(p.at) : 'earlier'}`,
    'Nothing runs on the nodes before an approval: this is the last reading. This run\'s own prep Jobs read it again before the switch, and pause the run on localhost NodePort traffic');
}

function liveBlocks(p: NonNullable<RunStatus['preflight']>, from: string, note: string): Block[] {
  const lines = p.checks.map((c) => `${EMOJI[c.verdict] ?? ':grey_question:'} *${esc(c.id)}*: ${esc(c.message)}`);
  const rows: string[] = [];
  const counter = (label: string, c: NonNullable<typeof p.localhostNodePorts> | null) => {
    if (c === null) rows.push(`${label}: not exported (kube-proxy ≥ 1.31, iptables mode)`);
    else rows.push(`${label}: ${n(c.total)}${c.count ? ` on ${c.count} node(s): ${c.nodes.map((x) => `${esc(x.node)} ${n(x.value)}`).join(', ')}${c.count > c.nodes.length ? ', …' : ''}` : ' (no node)'}`);
  };
  counter('localhost NodePort packets', p.localhostNodePorts);
  counter('conntrack-invalid drops', p.ctStateInvalidDrops);
  if (p.syncMs) rows.push(`sync duration: ${n(p.syncMs.avg)} ms on average, slowest ${esc(p.syncMs.max.node)} ${n(p.syncMs.max.value)} ms`);
  if (p.iptablesRules) rows.push(`iptables rules owned by kube-proxy: ${n(p.iptablesRules.total)} (most on ${esc(p.iptablesRules.max.node)}: ${n(p.iptablesRules.max.value)})`);
  if (p.nftVersions) rows.push(`nft: ${Object.entries(p.nftVersions).map(([v, c]) => `${esc(v)} × ${c}`).join(', ')}`);
  const head = `*Live pre-flight* (kube-proxy's /metrics on ${p.read} node(s)${p.unreadable.length ? `, ${p.unreadable.length} unreadable` : ''}${from})`;
  return [section(truncate(`${head}\n${[...lines, ...rows.map((r) => `• ${r}`)].join('\n')}`, 3000)), context(note)];
}
