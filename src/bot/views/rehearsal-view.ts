// The plan card's rehearsal section (issue #13): one line saying whether migrate and rollback worked on a sandbox
// copy of the cluster, or where they failed. Pure: the plan's rehearsal → one section block, or none.
import type { Plan } from '../../workflows/kube-proxy-mode/api.js';
import { rehearsalLine } from '../../workflows/rehearsal/rehearsal-result.js';
import { esc, section, truncate, type Block } from './text.js';

const EMOJI = { ok: ':white_check_mark:', failed: ':no_entry:', error: ':no_entry:', skipped: ':grey_question:' } as const;

/** Migrate plans made with rehearsal configured get the section; the rest (rollbacks, older plans) none. */
export function rehearsalBlocks(p: Pick<Plan, 'rehearsal'>): Block[] {
  const r = p.rehearsal;
  if (!r) return [];
  const took = r.outcome === 'skipped' ? ' (`--no-rehearse`)' : ` (sandbox copy of the cluster, ${(r.durationMs / 1000).toFixed(1)} s)`;
  return [section(truncate(`*Rehearsal*: ${EMOJI[r.outcome]} ${esc(rehearsalLine(r))}${took}`, 3000))];
}
