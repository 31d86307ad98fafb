// `/ipvs status` and `/ipvs clusters` answers.
import type { ProxyMode, RunStatus } from '../../workflows/kube-proxy-mode/api.js';
import { stateLabel } from './run-card.js';
import { phaseCounts } from './progress.js';
import { waitingLine } from './gates-view.js';
import { capBlocks, esc, reasonText, section, slackDate, truncate, type Block } from './text.js';

export interface TimelineLine { ts: string; actor: string; type: string; summary: string }

/** The last entries of one run's audit timeline as a code block (newest last; older ones are in the export). */
export function timelineBlock(entries: TimelineLine[]): Block {
  const lines = entries.map((e) => `${e.ts.slice(0, 19).replace('T', ' ')}  ${e.actor === 'system' ? 'bot' : e.actor}  ${e.type}${e.summary ? `  ${e.summary}` : ''}`);
  let text = lines.join('\n');
  // Keep the newest lines within a section's 3,000 characters.
  while (text.length > 2_900 && lines.length > 1) { lines.shift(); text = `…\n${lines.join('\n')}`; }
  return section(`*Timeline* (audit log)\n\`\`\`${esc(text)}\`\`\``);
}

export function statusView(runs: RunStatus[], target?: string, timeline?: TimelineLine[]): { text: string; blocks: Block[] } {
  if (runs.length === 0) {
    const t = target ? `No runs found for \`${esc(target)}\`.` : 'No active runs.';
    return { text: t, blocks: [section(t)] };
  }
  const blocks = runs.slice(0, 20).map((r) => section(truncate([
    `*${esc(r.cluster)}* \`${esc(r.runId)}\` ${r.kind}: ${r.plan.currentMode} → ${r.plan.targetMode}`,
    `${stateLabel(r)} · ${r.approvals.length}/${r.requiredApprovals} approvals · requested by <@${r.requester}> · updated ${slackDate(r.updatedAt)}`,
    r.currentStep ? `Step: ${esc(r.currentStep)}` : '',
    waitingLine(r.paused) ?? '',
    r.nodes.length ? phaseCounts(r).replace(/\n/g, ' · ') : '',
    r.reason ? `Reason: ${reasonText(r.reason)}` : '',
    r.message ? `Card: https://slack.com/archives/${r.message.channel}/p${r.message.ts.replace('.', '')}` : '',
  ].filter(Boolean).join('\n'), 3000)));
  if (runs.length > 20) blocks.push(section(`… and ${runs.length - 20} more`));
  if (timeline?.length) blocks.push(timelineBlock(timeline));
  return { text: `${runs.length} run(s)`, blocks: capBlocks(blocks) };
}

export function clustersView(list: { name: string; mode: ProxyMode | 'unknown'; production: boolean; error?: string; recommendation?: string }[]): { text: string; blocks: Block[] } {
  if (list.length === 0) return { text: 'No clusters configured.', blocks: [section('No clusters configured.')] };
  const lines = list.map((c) => `• *${esc(c.name)}*${c.production ? ' (production)' : ''}: ${c.error ? `:warning: unreachable (${esc(c.error)})` : `kube-proxy mode \`${c.mode}\`${c.recommendation ? ` · recommended: ${esc(c.recommendation)}` : ''}`}`);
  return { text: lines.join('\n').replace(/[*`]/g, ''), blocks: [section(truncate(lines.join('\n'), 3000))] };
}
