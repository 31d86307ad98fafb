// The run's one message: the plan card while awaiting approval, a live checklist while running, the result after.
// Pure: RunStatus (+ clock time) → blocks.
import { planLiveBlocks, preflightBlocks } from './preflight-view.js';
import { rehearsalBlocks } from './rehearsal-view.js';
import type { Check, NodeFacts, RunState, RunStatus } from '../../workflows/kube-proxy-mode/api.js';
import { ACTION, type RunRef } from './ids.js';
import { capBlocks, codeBlock, context, esc, fields, header, reasonText, section, slackDate, truncate, type Block } from './text.js';
import { progressBlocks } from './progress.js';
import { adviceBlock } from './advice-view.js';
import { decisionBlocks } from './decision-view.js';
import { gatesBlock, waitingLine } from './gates-view.js';

export const NODE_ROWS = 15;

const VERDICT_EMOJI: Record<Check['verdict'], string> = { pass: ':white_check_mark:', warn: ':warning:', block: ':no_entry:' };

export const STATE_LABEL: Record<RunState, string> = {
  awaiting_approval: ':hourglass_flowing_sand: Awaiting approval',
  approved: ':thumbsup: Approved, starting',
  running: ':arrows_counterclockwise: Running',
  waiting_operator: ':raising_hand: Waiting for an operator',
  rolling_back: ':rewind: Rolling back',
  succeeded: ':white_check_mark: Succeeded',
  failed: ':x: Failed',
  rolled_back: ':leftwards_arrow_with_hook: Rolled back',
  rejected: ':no_entry_sign: Rejected',
  expired: ':hourglass: Expired',
  cancelled: ':octagonal_sign: Cancelled',
  voided: ':warning: Voided',
};

/**
 * A run that ended before its first change to the cluster (config.conf switched, or restored for a rollback) and
 * before any node was touched: "Rolled back" would say something was undone when nothing had changed.
 */
export function stoppedBeforeChange(s: Pick<RunStatus, 'state' | 'kind' | 'stepsStarted' | 'nodes'>): boolean {
  if (s.state !== 'rolled_back' && s.state !== 'failed' && s.state !== 'cancelled') return false;
  if (!s.stepsStarted) return false;
  const firstChange = s.kind === 'rollback' ? 'restore-config' : 'switch';
  return !s.stepsStarted.includes(firstChange) && s.nodes.every((n) => n.phase === 'prep');
}

/** The state as the channel should read it: STATE_LABEL, except for a run that stopped before changing anything. */
export function stateLabel(s: Pick<RunStatus, 'state' | 'kind' | 'stepsStarted' | 'nodes'>): string {
  if (!stoppedBeforeChange(s)) return STATE_LABEL[s.state];
  const what = s.kind === 'rollback' ? 'the restore' : 'the switch';
  return s.state === 'cancelled' ? `:octagonal_sign: Cancelled before ${what}, nothing changed` : `:octagonal_sign: Stopped before ${what}, nothing changed`;
}

/** The label without its emoji, for notification text. */
export function stateWords(s: Pick<RunStatus, 'state' | 'kind' | 'stepsStarted' | 'nodes'>): string {
  return stateLabel(s).replace(/^:[a-z_]+: /, '');
}

export const TERMINAL: ReadonlySet<RunState> = new Set(['succeeded', 'failed', 'rolled_back', 'rejected', 'expired', 'cancelled', 'voided']);

export function encodeRef(ref: RunRef): string { return JSON.stringify({ r: ref.runId, d: ref.digest }); }
export function decodeRef(value: string | undefined): RunRef | undefined {
  try {
    const v = JSON.parse(value ?? '') as { r?: unknown; d?: unknown };
    return typeof v.r === 'string' && typeof v.d === 'string' ? { runId: v.r, digest: v.d } : undefined;
  } catch { return undefined; }
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  return !!m && (Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor));
}

export function nodeTable(nodes: NodeFacts[], max = NODE_ROWS): string {
  const rows = nodes.slice(0, max).map((n) => [n.name, n.ready ? 'Ready' : 'NotReady', n.kernel, n.runtime, n.controlPlane ? 'control-plane' : '']);
  const widths = [0, 1, 2, 3].map((i) => Math.min(40, Math.max(...rows.map((r) => r[i]!.length), 4)));
  const line = (r: string[]): string => r.map((c, i) => (i < 4 ? truncate(c, widths[i]!).padEnd(widths[i]!) : c)).join('  ').trimEnd();
  const out = [line(['NODE', 'READY', 'KERNEL', 'RUNTIME', 'ROLE']), ...rows.map(line)];
  if (nodes.length > max) out.push(`… and ${nodes.length - max} more`);
  return out.join('\n');
}

export function warnings(s: RunStatus): string[] {
  const w = [...s.plan.risks];
  // Plans with advice say this (and more) in their Advice section.
  if (s.plan.advice) return w;
  if (s.plan.targetMode === 'ipvs' && versionAtLeast(s.plan.version, 1, 35)) {
    w.unshift(`IPVS mode is deprecated upstream from Kubernetes v1.35 (this cluster runs ${s.plan.version}); nftables is the upstream direction.`);
  } else if (s.plan.targetMode === 'ipvs') {
    w.push('nftables is the upstream direction for kube-proxy; IPVS is deprecated from v1.35.');
  }
  return w;
}

function approvalsLine(s: RunStatus): string {
  const who = s.approvals.map((a) => `<@${a.user}>`).join(', ');
  return `${s.approvals.length}/${s.requiredApprovals} approvals${who ? `: ${who}` : ''}`;
}

function planBlocks(s: RunStatus): Block[] {
  const p = s.plan;
  const ready = p.nodes.filter((n) => n.ready).length;
  const blocks: Block[] = [
    fields([
      ['Cluster', `${esc(p.cluster)} (${esc(p.version)})`],
      ['Change', `kube-proxy ${p.currentMode} → ${p.targetMode}`],
      ['Nodes', `${p.nodes.length} (${ready} Ready, ${p.nodes.length - ready} not Ready, ${p.nodes.filter((n) => n.controlPlane).length} control-plane)`],
      ['Requested by', `<@${s.requester}>`],
      ['Run', `\`${esc(s.runId)}\``],
      ['Expires', slackDate(p.expiresAt)],
    ]),
    section(`*Nodes*\n${codeBlock(nodeTable(p.nodes), 2900)}`),
  ];
  // Nodes kube-proxy's DaemonSet does not run on: left alone, each with the reason (node-coverage.ts).
  if (p.skipped?.length) {
    const rows = p.skipped.slice(0, 10).map((x) => `• ${esc(x.node)}: ${esc(x.reason)}`);
    blocks.push(section(truncate(`*Skipped nodes* (${p.skipped.length}, no Job and no restart)\n${rows.join('\n')}${p.skipped.length > 10 ? `\n… and ${p.skipped.length - 10} more` : ''}`, 3000)));
  }
  const checks = p.checks.map((c) => `${VERDICT_EMOJI[c.verdict]} *${esc(c.id)}*: ${esc(c.message)}${c.nodes?.length ? ` (${c.nodes.slice(0, 5).map(esc).join(', ')}${c.nodes.length > 5 ? `, +${c.nodes.length - 5}` : ''})` : ''}`);
  const counts = (['pass', 'warn', 'block'] as const).map((v) => `${p.checks.filter((c) => c.verdict === v).length} ${v}`).join(', ');
  blocks.push(...rehearsalBlocks(p));
  blocks.push(section(truncate(`*Pre-flight checks* (${counts})\n${checks.join('\n') || 'none'}`, 3000)));
  blocks.push(...planLiveBlocks(p));
  blocks.push(section(`*ConfigMap kube-system/kube-proxy, config.conf*\n${codeBlock(p.configDiff || '(no change)', 2900, 'diff')}`));
  const b = p.rollout.batches;
  const batchText = b.slice(0, 5).map((x, i) => `${i + 1}. ${x.slice(0, 8).map(esc).join(', ')}${x.length > 8 ? ` +${x.length - 8}` : ''}`).join('\n');
  blocks.push(section(truncate(`*Rollout* (batch ${typeof p.input.batch === 'number' ? p.input.batch : p.input.batch}, auto-rollback ${p.input.autoRollback ? 'on' : 'off'})\nCanary: ${esc(p.rollout.canary)}\nThen ${b.length} batch(es):\n${batchText}${b.length > 5 ? `\n… ${b.length - 5} more batches` : ''}`, 3000)));
  const per = p.cleanup.perNode ?? {};
  const totals: Record<string, number> = {};
  for (const counts of Object.values(per)) for (const [k, v] of Object.entries(counts)) totals[k] = (totals[k] ?? 0) + v;
  const totalText = Object.entries(totals).map(([k, v]) => `${v} ${esc(k)}`).join(', ');
  blocks.push(section(`*Cleanup*: ${p.cleanup.method}${totalText ? ` — will remove ${totalText} across ${Object.keys(per).length} node(s)` : ''}`));
  if (p.advice) blocks.push(adviceBlock(p.advice, p.targetMode));
  const gates = gatesBlock(p); if (gates) blocks.push(gates);
  const w = warnings(s);
  if (w.length) blocks.push(section(truncate(`*Warnings*\n${w.map((x) => `:warning: ${esc(x)}`).join('\n')}`, 3000)));
  return blocks;
}

export function isBlocked(s: RunStatus): boolean { return s.plan.checks.some((c) => c.verdict === 'block'); }

/** opts.production: Approve opens the typed-name modal instead of a confirm dialog. */
export function runCard(s: RunStatus, opts: { production?: boolean } = {}): { text: string; blocks: Block[] } {
  const p = s.plan;
  const title = p.kind === 'rollback' ? `Rollback of ${p.cluster}: kube-proxy ${p.currentMode} → ${p.targetMode}` : `${p.cluster}: kube-proxy ${p.currentMode} → ${p.targetMode}`;
  const blocks: Block[] = [header(title), context(`${stateLabel(s)}  ·  ${approvalsLine(s)}${s.currentStep ? `  ·  step: ${esc(s.currentStep)}` : ''}`)];
  if (s.reason) blocks.push(section(`*Reason*: ${reasonText(s.reason)}`));
  const waiting = waitingLine(s.paused); if (waiting) blocks.push(section(waiting));
  if (s.state === 'awaiting_approval') {
    blocks.push(...planBlocks(s));
    const ref = encodeRef({ runId: s.runId, digest: p.digest });
    const elements: Block[] = [];
    if (!isBlocked(s)) {
      const approve: Block = { type: 'button', action_id: ACTION.approve, text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: ref };
      if (!opts.production) {
        approve.confirm = {
          title: { type: 'plain_text', text: 'Approve this change?' },
          text: { type: 'mrkdwn', text: truncate(`kube-proxy on *${esc(p.cluster)}* goes ${p.currentMode} → ${p.targetMode}, node by node (${p.nodes.length} nodes).`, 300) },
          confirm: { type: 'plain_text', text: 'Approve' }, deny: { type: 'plain_text', text: 'Not yet' },
        };
      }
      elements.push(approve);
    } else {
      blocks.push(section(':no_entry: *Blocked by pre-flight checks*: fix what they name, then run `/ipvs plan` again.'));
    }
    elements.push({ type: 'button', action_id: ACTION.reject, text: { type: 'plain_text', text: 'Reject' }, style: 'danger', value: ref });
    blocks.push(context(`Plan digest \`${esc(p.digest.slice(0, 12))}\` · approvals count only for this exact plan`));
    blocks.push({ type: 'actions', block_id: 'run_actions', elements });
  } else {
    blocks.push(fields([
      ['Cluster', `${esc(p.cluster)} (${esc(p.version)})`],
      ['Requested by', `<@${s.requester}>`],
      ['Run', `\`${esc(s.runId)}\``],
      ['Updated', slackDate(s.updatedAt)],
    ]));
    blocks.push(...progressBlocks(s));
    blocks.push(...preflightBlocks(s));
    blocks.push(...decisionBlocks(s));
    if (s.state === 'running' || s.state === 'approved') {
      blocks.push({ type: 'actions', block_id: 'run_actions', elements: [{
        type: 'button', action_id: ACTION.cancel, text: { type: 'plain_text', text: 'Cancel' }, style: 'danger', value: encodeRef({ runId: s.runId, digest: p.digest }),
        confirm: { title: { type: 'plain_text', text: 'Cancel this run?' }, text: { type: 'mrkdwn', text: 'Nodes already switched are rolled back.' },
          confirm: { type: 'plain_text', text: 'Cancel run' }, deny: { type: 'plain_text', text: 'Keep going' } },
      }] });
    }
  }
  return { text: truncate(`${title}: ${stateWords(s)} (${approvalsLine(s).replace(/<@(\w+)>/g, '@$1')})`, 3000), blocks: capBlocks(blocks) };
}
