// Turns the engine's error codes into words for the person in the channel (the log keeps the detail).
import { WorkflowError, type ApproveResult } from '../workflows/kube-proxy-mode/api.js';
import { esc, escKeepMentions } from './views/text.js';
import { storageProblemWords } from '../db/storage-health.js';

const WORKFLOW_PREFIX: Record<WorkflowError['code'], string> = {
  unknown_cluster: ':grey_question: Unknown cluster.',
  locked: ':lock: That cluster is busy.',
  not_found: ':grey_question: Not found.',
  invalid: ':warning: That request is not valid.',
  unreachable: ':electric_plug: I cannot reach the cluster right now; try again in a minute or ask the operators to check connectivity.',
  forbidden: ':no_entry: Not allowed.',
  internal: ':boom: Something went wrong on my side; the operators have the details.',
};

export function workflowErrorText(err: unknown, ref?: string): string {
  if (err instanceof WorkflowError) {
    if (err.code === 'internal') return `${WORKFLOW_PREFIX.internal}${ref ? ` (ref ${ref})` : ''}`;
    // The engine's words: its <@U…> mentions ("busy: run … by <@U…>") stay mentions, anything else is escaped.
    return `${WORKFLOW_PREFIX[err.code]} ${escKeepMentions(err.message)}`;
  }
  const storage = storageProblemWords(err);
  if (storage) return `:floppy_disk: Not done: ${storage}, so I cannot record it. The operators are told; try again once it is fixed.`;
  return `${WORKFLOW_PREFIX.internal}${ref ? ` (ref ${ref})` : ''}`;
}

export type RefusalCode = Extract<ApproveResult, { ok: false }>['code'] | 'not_in_channel';

const REFUSAL: Record<RefusalCode, string> = {
  not_found: 'I cannot find that run any more.',
  self_approval: 'You requested this run, so your approval does not count: someone else has to approve it.',
  not_approver: 'You are not an approver for this cluster (see the approvers list in the bot config).',
  already_approved: 'You have already approved this run; it needs a different person for the next approval.',
  digest_mismatch: 'This card is out of date: the plan changed since it was posted. Approve the current card, or run `/ipvs plan` again.',
  expired: 'This plan has expired. Run `/ipvs plan` again for a fresh one.',
  not_awaiting: 'This run is no longer waiting for approval.',
  drifted: 'The cluster changed since the plan was made, so its approvals are void. Run `/ipvs plan` again.',
  not_in_channel: 'Approvals for this cluster are not accepted in this channel.',
};

export function refusalText(code: RefusalCode, engineMessage?: string): string {
  const base = `:no_entry_sign: Approval not counted. ${REFUSAL[code]}`;
  return engineMessage && code === 'drifted' ? `${base} (${esc(engineMessage)})` : base;
}

/**
 * How loud a failed request is in the operator's log: a person's typo or a busy cluster is `info`, a cluster the
 * bot cannot reach or read is `warn`, only our own failures are `error`.
 */
export function logLevelFor(err: unknown): 'info' | 'warn' | 'error' {
  if (!(err instanceof WorkflowError)) return 'error';
  if (err.code === 'internal') return 'error';
  return err.code === 'unreachable' || err.code === 'forbidden' ? 'warn' : 'info';
}
