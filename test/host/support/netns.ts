// The real-host tier's harness: runs a node script exactly as its Job runs it (the ConfigMap's files, the Job's
// command and container env) inside a fresh network namespace (`unshare -n`) against the real Debian tools. Only
// what the test host cannot give is replaced: there is no PID 1 to nsenter into (IPVS_BOT_NO_NSENTER=1, host files
// under a temp IPVS_BOT_HOST_ROOT, the termination log in a temp file) and, where asked, ipvsadm (no IP_VS here).
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_SCRIPTS_CONFIG_MAP, NODE_SCRIPTS_DIR, nodeJobSpec, type JobInput, type NodeJobOptions } from '../../../src/k8s/node-jobs.js';

const here = fileURLToPath(new URL('.', import.meta.url));
type Result = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const TOOLS = ['unshare', 'ip', 'iptables-legacy-restore', 'iptables-nft-restore', 'ip6tables-legacy-restore', 'ip6tables-nft-restore',
  'iptables-legacy-save', 'iptables-nft-save', 'ipset', 'nft', 'ping', 'dig', 'timeout'];
/** The image's PATH (netshoot's), as the container sees it. */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Why this host cannot run the tier, or undefined when it can. */
export function hostTierUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces, iptables and ipset need CAP_NET_ADMIN)';
  const missing = TOOLS.filter((t) => spawnSync('bash', ['-c', `command -v ${t}`], { env: { PATH: IMAGE_PATH } }).status !== 0);
  if (missing.length) return `missing tools: ${missing.join(', ')} (apt-get install iptables ipset nftables iproute2 iputils-ping dnsutils)`;
  const probe = spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up']);
  if (probe.status !== 0) return `unshare -n does not work here: ${probe.stderr.toString().trim()}`;
  return undefined;
}

/** Counts the tier's tests that ran, for .ci/run's "the host tier ran no test" check. */
export function countHostTest(name: string): void {
  const f = process.env.IPVS_BOT_HOST_TESTS_COUNT;
  if (f) appendFileSync(f, `${name}\n`);
}

export interface NetnsRun {
  /** The script's single JSON line. */
  result: Result;
  /** State before and after the script, read in the same namespace with the same back end. */
  before: NetnsState;
  after: NetnsState & { ipvs: string | undefined };
  stderr: string;
}

export interface NetnsState { iptables: string; ip6tables: string; ipsets: string[]; links: string; arpSysctls: string }

export interface NetnsCase {
  phase: JobInput['phase'];
  input: Omit<JobInput, 'phase' | 'node'>;
  opts?: Omit<NodeJobOptions, 'runId'>;
  /** Bash run in the namespace before the script (lo is up), `set -e`. */
  setup: string;
  /** `iptables-legacy` or `iptables-nft`: which back end `after` reads. */
  backend: Backend;
  /** Virtual servers for the ipvsadm stand-in ("PROTO ADDR" lines); undefined = the real ipvsadm. */
  ipvs?: string[];
  /** Config for node-services.mjs, started in the namespace before the script. */
  services?: { dns?: { addr: string; mode: 'answer' | 'refused' | 'silent' | 'nxdomain'; records?: { a?: string; aaaa?: string } }[]; http?: { host: string; port: number; body: string }[];
    kubeProxy?: { metrics: { host: string; port: number }; healthz: { host: string; port: number }; syncAfterReads: number | null; healthTimeoutMs?: number; proxyMode?: string;
      counters?: { localhostNodePorts: number; ctInvalid: number; nat: number; filter: number } }[] };
}
export type Backend = 'iptables-legacy' | 'iptables-nft';
export const BACKENDS: Backend[] = ['iptables-legacy', 'iptables-nft'];

/** The container env of the phase's real Job manifest: plain values as they are, the downward-API node name set. */
function jobEnv(c: NetnsCase): { env: Record<string, string>; command: string[] } {
  const spec = nodeJobSpec({ runId: 'host-tier', ...(c.opts ?? {}) }, { ...c.input, phase: c.phase, node: 'host-node-1' } as JobInput);
  const container = (spec.manifest as { spec: { template: { spec: { containers: { env: { name: string; value?: string; valueFrom?: unknown }[]; command: string[] }[] } } } })
    .spec.template.spec.containers[0]!;
  const env: Record<string, string> = {};
  for (const e of container.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.name === 'IPVS_BOT_NODE') env[e.name] = 'host-node-1'; // fieldRef spec.nodeName
    else throw new Error(`unexpected env ${e.name}`);
  }
  return { env, command: container.command };
}

export function runInNetns(c: NetnsCase): NetnsRun {
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-bot-host-'));
  try {
    const mount = join(dir, 'mount');
    mkdirSync(mount);
    for (const [key, text] of Object.entries(NODE_SCRIPTS_CONFIG_MAP.data)) writeFileSync(join(mount, key), text, { mode: 0o444 });
    mkdirSync(join(dir, 'host'));
    const { env, command } = jobEnv(c);
    const cmd = command.map((a) => (a.startsWith(`${NODE_SCRIPTS_DIR}/`) ? join(mount, a.slice(NODE_SCRIPTS_DIR.length + 1)) : a));
    let path = IMAGE_PATH;
    if (c.ipvs) {
      const standin = join(dir, 'standin');
      mkdirSync(standin);
      copyFileSync(join(here, 'ipvsadm'), join(standin, 'ipvsadm'));
      chmodSync(join(standin, 'ipvsadm'), 0o755);
      writeFileSync(join(standin, 'ipvs-table'), c.ipvs.map((l) => `${l}\n`).join(''));
      path = `${standin}:${IMAGE_PATH}`;
    }
    writeFileSync(join(dir, 'setup.sh'), `set -e\n${c.setup}\n`);
    const b = c.backend;
    const b6 = b.replace('iptables', 'ip6tables');
    writeFileSync(join(dir, 'dump.sh'), [
      `{ ${b}-save -t nat; ${b}-save -t filter; } > "$1/$2.iptables" 2>/dev/null || true`,
      `{ ${b6}-save -t nat; ${b6}-save -t filter; } > "$1/$2.ip6tables" 2>/dev/null || true`,
      'ipset list -n > "$1/$2.ipsets" 2>/dev/null || true',
      'ip -o link show > "$1/$2.links"',
      'sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce > "$1/$2.sysctl" 2>/dev/null || true',
    ].join('\n'));
    const services = c.services ? JSON.stringify({ ...c.services, ready: join(dir, 'services.ready') }) : '';
    // One shell in the new namespace: set up, start the services, run the Job's command with the Job's env, read
    // the state back. `env -i` hands the script exactly the Job's variables (and the image's PATH), nothing of ours.
    const envArgs = Object.entries({ ...env, PATH: path, IPVS_BOT_NO_NSENTER: '1', IPVS_BOT_HOST_ROOT: join(dir, 'host'), IPVS_BOT_TERMINATION_LOG: join(dir, 'termination-log') })
      .map(([k, v]) => sq(`${k}=${v}`));
    const driver = [
      'set -u',
      'ip link set lo up',
      `bash "${dir}/setup.sh" > "${dir}/setup.log" 2>&1 || { echo "setup failed: $(cat "${dir}/setup.log")" >&2; exit 90; }`,
      services ? `"${process.execPath}" "${join(here, 'node-services.mjs')}" "$SERVICES" & SVC=$!
for i in $(seq 100); do [ -f "${dir}/services.ready" ] && break; sleep 0.05; done
[ -f "${dir}/services.ready" ] || { echo "services did not start" >&2; exit 91; }` : 'SVC=',
      `bash "${dir}/dump.sh" "${dir}" before`,
      `env -i ${envArgs.join(' ')} ${cmd.map(sq).join(' ')} > "${dir}/stdout" 2> "${dir}/stderr"; echo $? > "${dir}/rc"`,
      '[ -n "$SVC" ] && kill "$SVC"',
      `bash "${dir}/dump.sh" "${dir}" after`,
    ].join('\n');
    const r = spawnSync('unshare', ['-n', 'bash', '-c', driver], { env: { PATH: IMAGE_PATH, SERVICES: services }, timeout: 60_000 });
    if (r.status !== 0 && r.status !== null && !existsSync(join(dir, 'rc'))) throw new Error(`netns driver exited ${r.status}: ${r.stderr.toString()}`);
    if (r.error) throw r.error;
    const stdout = readFileSync(join(dir, 'stdout'), 'utf8');
    const last = stdout.trimEnd().split('\n').at(-1) ?? '';
    const termlog = readFileSync(join(dir, 'termination-log'), 'utf8');
    if (termlog !== `${last}\n`) throw new Error(`termination log differs from the last stdout line:\n${termlog}\n${stdout}`);
    const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '');
    const state = (p: string): NetnsState => ({
      iptables: read(`${p}.iptables`), ip6tables: read(`${p}.ip6tables`),
      ipsets: read(`${p}.ipsets`).split('\n').filter(Boolean).sort(), links: read(`${p}.links`), arpSysctls: read(`${p}.sysctl`).trim(),
    });
    return {
      result: JSON.parse(last) as Result,
      before: state('before'),
      after: { ...state('after'), ipvs: c.ipvs ? read('standin/ipvs-table') : undefined },
      stderr: read('stderr'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bash that loads iptables-save text into `backend` (family 4 or 6) with iptables-restore --noflush, as kube-proxy does. */
export function restore(backend: Backend, family: 4 | 6, text: string): string {
  const bin = family === 6 ? backend.replace('iptables', 'ip6tables') : backend;
  return `${bin}-restore --noflush <<'IPTABLES_EOF'\n${text.trim()}\nIPTABLES_EOF`;
}

/** Chain lines (`:NAME`) and rule lines of a table section in iptables-save text, without counters. */
export function rulesOf(save: string): string[] {
  return save.split('\n').filter((l) => l.startsWith('-A ') || l.startsWith(':')).map((l) => l.replace(/ \[\d+:\d+\]$/, ''));
}

/** A bash single-quoted word. */
const sq = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
