// What a run waiting for an operator shows (issue #14 item 11, #12 item 3): why it paused — the inconclusive checks by
// name, the unknown step outcome or the failed rollback step — the deadline, and Continue / Roll back / Abort.
import type { RunStatus, WaitingInfo } from '../../workflows/kube-proxy-mode/api.js';
import { context, esc, section, slackDate, truncate, type Block } from './text.js';

/** Action ids of the decision buttons (value: the run id). */
export const DECIDE_ACTION = {
  continue: 'run_decide_continue',
  rollback: 'run_decide_rollback',
  abort: 'run_decide_abort',
} as const;
export type DecisionWord = keyof typeof DECIDE_ACTION;

const CONTINUE_MEANS: Record<WaitingInfo['for'], string> = {
  inconclusive: 'accept the result and go on',
  'unknown-outcome': 'run the step again',
  'compensation-failed': 'retry the rollback',
};

export const DECISION_LABEL: Record<DecisionWord, string> = { continue: 'Continue', rollback: 'Roll back', abort: 'Abort' };

/** One line per paused check: "node: dns — detail". */
export function pausedChecks(w: WaitingInfo | undefined, max = 10): string[] {
  const checks = w?.checks ?? [];
  const lines = checks.slice(0, max).map((c) => `• ${c.node ? `${esc(c.node)}: ` : ''}*${esc(c.name)}* ${esc(c.outcome)} — ${esc(truncate(c.detail, 300))}`);
  if (checks.length > max) lines.push(`… and ${checks.length - max} more`);
  return lines;
}

function why(s: RunStatus): string {
  const w = s.waiting;
  const step = w?.step ? ` at step \`${esc(w.step)}\`` : '';
  if (w?.for === 'inconclusive') return `*Paused${step}: inconclusive checks*\n${pausedChecks(w).join('\n')}`;
  if (w?.for === 'compensation-failed') return `*Paused${step}: rolling back failed*; the cluster may be half-changed.`;
  return `*Paused${step}: the step's outcome is unknown*; nobody can tell whether it took effect.`;
}

/** The decision section and buttons; empty unless the run waits for an operator. */
export function decisionBlocks(s: RunStatus): Block[] {
  if (s.state !== 'waiting_operator') return [];
  const forWhat = s.waiting?.for ?? 'unknown-outcome';
  const deadline = s.waiting?.decideBy ? ` Without a decision it rolls back by itself at ${slackDate(s.waiting.decideBy)}.` : '';
  const button = (d: DecisionWord, style?: 'primary' | 'danger'): Block => ({
    type: 'button', action_id: DECIDE_ACTION[d], text: { type: 'plain_text', text: DECISION_LABEL[d] }, value: s.runId, ...(style ? { style } : {}),
  });
  const elements = forWhat === 'compensation-failed'
    ? [button('continue', 'primary'), button('abort', 'danger')]
    : [button('continue', 'primary'), button('rollback'), button('abort', 'danger')];
  return [
    section(truncate(why(s), 3000)),
    context(truncate(`An approver of this cluster decides: Continue = ${CONTINUE_MEANS[forWhat]}${forWhat === 'compensation-failed' ? '' : ', Roll back = undo what was switched'}, Abort = stop and leave the cluster as it is.${deadline} Or \`/ipvs decide ${esc(s.runId)} continue|rollback|abort [note]\`.`, 3000)),
    { type: 'actions', block_id: 'run_decide', elements },
  ];
}

/** The thread message when the run starts waiting. */
export function decisionPost(s: RunStatus): { text: string; blocks: Block[] } {
  const names = (s.waiting?.checks ?? []).map((c) => `${c.node ? `${c.node}: ` : ''}${c.name}`).join(', ');
  const text = s.waiting?.for === 'inconclusive'
    ? `Run ${s.runId} paused: inconclusive checks (${names}). An approver chooses Continue, Roll back or Abort.`
    : `Run ${s.runId} is waiting for an operator: ${s.reason ?? 'a decision is needed'}. An approver chooses Continue, Roll back or Abort.`;
  return { text: truncate(text, 3000), blocks: decisionBlocks(s) };
}
