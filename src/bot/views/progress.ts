// The live checklist part of the run card: workflow steps ticked off (engine step ids from workflow.ts), the
// current rollout batch, and per-node counts by phase.
import type { RunStatus } from '../../workflows/kube-proxy-mode/api.js';
import { codeBlock, esc, section, truncate, type Block } from './text.js';

export const MIGRATE_STEPS = ['approval', 'prepare-nodes', 'snapshot', 'switch', 'rollout', 'finish'] as const;
export const ROLLBACK_STEPS = ['approval', 'snapshot', 'restore-config', 'rollout', 'finish'] as const;
const STEP_LABEL: Record<string, string> = {
  approval: 'Approval', 'prepare-nodes': 'Prepare nodes (kernel modules, sysctls)', snapshot: 'Snapshot ConfigMap and DaemonSet',
  switch: 'Switch config.conf', 'restore-config': 'Restore config.conf from the snapshot',
  rollout: 'Roll out node by node: restart, verify, clean up', finish: 'Finish (restore update strategy)',
};

/** The checklist entry for an engine step id: "rollout:2", "settle:2" and "verify:2" all belong to the rollout. */
export function stepIndex(steps: readonly string[], step: string | undefined): number {
  if (!step) return -1;
  if (step === 'gate:start') return steps.indexOf('prepare-nodes');
  const base = step.toLowerCase().split(':')[0]!.replace(/_/g, '-');
  const key = ['rollout', 'settle', 'verify', 'restart', 'cleanup', 'gate', 'slo'].includes(base) ? 'rollout' : base;
  return steps.indexOf(key);
}

function batchNote(s: RunStatus): string {
  const m = /^(?:gate|rollout|settle|verify|slo):(\d+)$/.exec(s.currentStep ?? '');
  if (!m) return '';
  const total = 1 + s.plan.rollout.batches.length;
  const i = Number(m[1]);
  return i === 0 ? ` (canary ${esc(s.plan.rollout.canary)})` : ` (batch ${i} of ${total - 1})`;
}

export function phaseCounts(s: RunStatus): string {
  const total = s.plan.nodes.length;
  const byPhase = new Map<string, { ok: number; failed: number; pending: number }>();
  for (const n of s.nodes) {
    const c = byPhase.get(n.phase) ?? { ok: 0, failed: 0, pending: 0 };
    if (n.ok === true) c.ok++; else if (n.ok === false) c.failed++; else c.pending++;
    byPhase.set(n.phase, c);
  }
  if (byPhase.size === 0) return `${total} node(s), none started`;
  return [...byPhase].map(([phase, c]) => `${esc(phase)}: ${c.ok}/${total} ok${c.failed ? `, ${c.failed} failed` : ''}${c.pending ? `, ${c.pending} in progress` : ''}`).join('\n');
}

export function progressBlocks(s: RunStatus): Block[] {
  const steps = s.kind === 'rollback' ? ROLLBACK_STEPS : MIGRATE_STEPS;
  const current = stepIndex(steps, s.currentStep);
  const done = s.state === 'succeeded';
  const bad = s.state === 'failed' || s.state === 'rolling_back' || s.state === 'rolled_back' || s.state === 'waiting_operator';
  const lines = steps.map((k, i) => {
    const mark = done || i < current || (k === 'approval' && s.state !== 'awaiting_approval') ? ':white_check_mark:'
      : i === current ? (bad ? ':x:' : ':arrow_forward:') : ':white_circle:';
    return `${mark} ${STEP_LABEL[k]}${i === current && k === 'rollout' ? batchNote(s) : ''}`;
  });
  const failed = s.nodes.filter((n) => n.ok === false);
  const blocks: Block[] = [section(`*Progress*\n${lines.join('\n')}`), section(`*Nodes*\n${codeBlock(phaseCounts(s), 1500)}`)];
  if (failed.length) blocks.push(section(truncate(`*Failed nodes*\n${failed.slice(0, 10).map((n) => `:x: ${esc(n.node)} (${esc(n.phase)})${n.detail ? `: ${esc(n.detail)}` : ''}`).join('\n')}`, 3000)));
  return blocks;
}
