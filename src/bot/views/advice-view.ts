// The plan card's advice section (issue #7): which mode upstream would pick for this cluster and why, then the
// caveats. Pure: the plan's advice → one section block (within Slack's 3,000 characters).
import type { PlanAdvice } from '../../workflows/kube-proxy-mode/api.js';
import { esc, section, truncate, type Block } from './text.js';

/** "nftables — every node runs kernel 5.13 or later …" (no trailing period). */
export function recommendationText(a: Pick<PlanAdvice, 'recommendation'>): string {
  return `${a.recommendation.mode} — ${a.recommendation.reason.replace(/\.$/, '')}`;
}

export function adviceBlock(a: PlanAdvice, targetMode: string): Block {
  const rec = a.recommendation.mode === targetMode
    ? `:white_check_mark: *Recommended: ${esc(recommendationText(a))}.*`
    : `:bulb: *Recommended: ${esc(recommendationText(a))}.* This plan asks for ${esc(targetMode)}.`;
  const lines = a.warnings.map((w) => `• ${esc(w)}`);
  // Keep whole lines: the recommendation first, as many caveats as fit, then a count of the rest.
  let text = `*Advice*\n${rec}`;
  let shown = 0;
  for (const l of lines) {
    if (text.length + l.length + 40 > 3000) break;
    text += `\n${l}`;
    shown++;
  }
  if (shown < lines.length) text += `\n… ${lines.length - shown} more`;
  return section(truncate(text, 3000));
}
