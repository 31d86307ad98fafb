// The real-host tier: the node scripts exactly as a Job runs them (the mounted files of the scripts ConfigMap, the
// env of the real Job manifest), inside a fresh network namespace (`unshare -n`) with Debian's real iptables
// (legacy and nft), ipset, nft, iproute2, ping and dig. Only `nsenter` is left out (IPVS_BOT_NO_NSENTER=1): the
// test host has no node PID 1 to enter, and the namespace is already the "host" the script inspects.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_SCRIPTS_CONFIG_MAP, nodeJobSpec, type JobInput, type NodeJobOptions } from '../../src/k8s/node-jobs.js';

const TOOLS = ['unshare', 'ip', 'iptables-legacy', 'iptables-nft', 'ipset', 'nft', 'ping', 'dig'];

/** Why this tier cannot run here, or undefined. With IPVS_BOT_HOST_TESTS=required (CI) a reason is a failure. */
export function hostTierUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, iptables)';
  const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length) return `missing tools: ${missing.join(', ')} (apt-get install iptables ipset nftables iproute2 iputils-ping dnsutils)`;
  if (spawnSync('unshare', ['-n', 'true']).status !== 0) return 'unshare -n is not permitted here';
  return undefined;
}

export interface HostRun { result: Record<string, any>; stdout: string; stderr: string; after: string } // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Runs `setup` (shell, inside the namespace), then the phase's script with the Job's env, then `inspect` (its output
 * is `after`). `stubIpvsadm`: a text-table ipvsadm first on PATH, because this kernel has no IP_VS.
 */
export function runInNetns(opts: NodeJobOptions, input: JobInput, sh: { setup: string; inspect?: string; stubIpvsadm?: string; extraEnv?: Record<string, string> }): HostRun {
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-bot-host-'));
  try {
    const scripts = join(dir, 'ipvs-bot');
    execFileSync('mkdir', ['-p', scripts, join(dir, 'bin'), join(dir, 'root')]);
    for (const [k, v] of Object.entries(NODE_SCRIPTS_CONFIG_MAP.data)) writeFileSync(join(scripts, k), v, { mode: 0o444 });
    const spec = nodeJobSpec(opts, input);
    const container = ((spec.manifest.spec as any).template.spec.containers[0]) as { command: string[]; env: { name: string; value?: string }[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const env: Record<string, string> = { PATH: `${join(dir, 'bin')}:/usr/sbin:/usr/bin:/sbin:/bin`, IPVS_BOT_NODE: input.node };
    for (const e of container.env) if (typeof e.value === 'string') env[e.name] = e.value;
    Object.assign(env, { IPVS_BOT_NO_NSENTER: '1', IPVS_BOT_HOST_ROOT: join(dir, 'root'), IPVS_BOT_TERMINATION_LOG: join(dir, 'termination-log') }, sh.extraEnv);
    if (sh.stubIpvsadm !== undefined) {
      writeFileSync(join(dir, 'ipvs.table'), sh.stubIpvsadm);
      writeFileSync(join(dir, 'bin', 'ipvsadm'), IPVSADM_STANDIN.replace('@TABLE@', join(dir, 'ipvs.table')));
      chmodSync(join(dir, 'bin', 'ipvsadm'), 0o755);
    }
    // The container command, with its script path moved to the temp mount.
    const argv = container.command.map((a) => a.replace(/^\/ipvs-bot\//, `${scripts}/`));
    const body = `set -e\nip link set lo up\n${sh.setup}\nset +e\n${argv.map((a) => `'${a}'`).join(' ')} > ${dir}/out 2> ${dir}/err\necho "=== after"\n${sh.inspect ?? ''}\nkill $(jobs -p) 2>/dev/null\nexit 0\n`;
    writeFileSync(join(dir, 'run.sh'), body);
    const r = spawnSync('unshare', ['-n', 'bash', join(dir, 'run.sh')], { env, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`namespace run failed (${r.status}): ${r.stderr}`);
    const stdout = readFileSync(join(dir, 'out'), 'utf8');
    const lines = stdout.trim().split('\n');
    return { result: JSON.parse(lines[lines.length - 1]!), stdout, stderr: readFileSync(join(dir, 'err'), 'utf8'), after: r.stdout.split('=== after\n')[1] ?? '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ipvsadm stand-in (no IP_VS in this kernel): `-Ln` prints the table file in ipvsadm's format, `-D` removes a line. */
const IPVSADM_STANDIN = `#!/bin/bash
T='@TABLE@'
case "$1" in
  -Ln) echo "IP Virtual Server version 1.2.1 (size=4096)"; echo "Prot LocalAddress:Port Scheduler Flags"; echo "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"; cat "$T" ;;
  -D) case "$2" in -t) p=TCP ;; -u) p=UDP ;; *) p=SCTP ;; esac; grep -q "^$p  $3 " "$T" || exit 1; grep -v "^$p  $3 " "$T" > "$T.n"; mv "$T.n" "$T" ;;
  *) exit 2 ;;
esac
`;
