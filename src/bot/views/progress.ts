// The live checklist part of the run card: workflow steps ticked off, and per-node counts by phase.
import type { RunStatus } from '../../workflows/kube-proxy-mode/api.js';
import { codeBlock, esc, section, truncate, type Block } from './text.js';

export const MIGRATE_STEPS = ['approval', 'prepare-nodes', 'snapshot', 'switch', 'rollout', 'cleanup', 'finish'] as const;
const STEP_LABEL: Record<string, string> = {
  approval: 'Approval', 'prepare-nodes': 'Prepare nodes (kernel modules, sysctls)', snapshot: 'Snapshot ConfigMap and DaemonSet',
  switch: 'Switch config.conf', rollout: 'Roll out node by node and verify', cleanup: 'Clean up old-mode leftovers', finish: 'Finish',
};

/** Matches the engine's step id loosely ("prepare_nodes", "rollout:batch-2" …) to the checklist. */
export function stepIndex(step: string | undefined): number {
  if (!step) return -1;
  const s = step.toLowerCase().replace(/_/g, '-');
  return MIGRATE_STEPS.findIndex((k) => s === k || s.startsWith(`${k}:`) || s.startsWith(k) || (k === 'rollout' && /verify|restart|roll-?out/.test(s)) || (k === 'prepare-nodes' && s.startsWith('prep')));
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
  const current = stepIndex(s.currentStep);
  const terminalOk = s.state === 'succeeded';
  const lines = MIGRATE_STEPS.map((k, i) => {
    const mark = terminalOk || i < current || (k === 'approval' && s.state !== 'awaiting_approval') ? ':white_check_mark:'
      : i === current ? (s.state === 'failed' ? ':x:' : ':arrow_forward:') : ':white_circle:';
    return `${mark} ${STEP_LABEL[k]}`;
  });
  const failed = s.nodes.filter((n) => n.ok === false);
  const blocks: Block[] = [section(`*Progress*\n${lines.join('\n')}`), section(`*Nodes*\n${codeBlock(phaseCounts(s), 1500)}`)];
  if (failed.length) blocks.push(section(truncate(`*Failed nodes*\n${failed.slice(0, 10).map((n) => `:x: ${esc(n.node)} (${esc(n.phase)})${n.detail ? `: ${esc(n.detail)}` : ''}`).join('\n')}`, 3000)));
  return blocks;
}
