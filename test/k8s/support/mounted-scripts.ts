// The node scripts as a Job runs them: the ConfigMap mounted as read-only files, and the Job's own command.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NODE_SCRIPTS } from '../../../src/k8s/node-scripts/scripts.js';
import { NODE_SCRIPTS_CONFIG_MAP, NODE_SCRIPTS_DIR, nodeJobSpec } from '../../../src/k8s/node-jobs.js';

/** The scripts ConfigMap as the kubelet mounts it (one read-only file per key) under root/mount, in place of NODE_SCRIPTS_DIR. */
export function mountScripts(root: string): void {
  mkdirSync(join(root, 'mount'));
  for (const [key, text] of Object.entries(NODE_SCRIPTS_CONFIG_MAP.data)) writeFileSync(join(root, 'mount', key), text, { mode: 0o444 });
}

/** The command of the phase's real Job, pointing at the files mountScripts(root) wrote. */
export function jobCommand(root: string, phase: keyof typeof NODE_SCRIPTS): string[] {
  const verify = { servicePorts: 0, dnsName: 'kubernetes.default.svc.cluster.local' };
  const spec = nodeJobSpec({ runId: 'script-test' }, { phase, node: 'worker-1', targetMode: 'ipvs', ...(phase === 'verify' ? { verify } : {}) });
  const cmd = (spec.manifest as { spec: { template: { spec: { containers: { command: string[] }[] } } } }).spec.template.spec.containers[0]!.command;
  return cmd.map((a) => (a.startsWith(`${NODE_SCRIPTS_DIR}/`) ? join(root, 'mount', a.slice(NODE_SCRIPTS_DIR.length + 1)) : a));
}
