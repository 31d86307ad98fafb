// The real node scripts (the exact text the Jobs run) for nftables as a target and as the mode being left (issue #7),
// under bash with the stub host tools of node-stubs/ on an otherwise empty PATH.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_SCRIPTS } from '../../src/k8s/node-scripts/scripts.js';
import { jobCommand, mountScripts } from './support/mounted-scripts.js';

const here = fileURLToPath(new URL('.', import.meta.url));
let root: string;
let bin: string;
type Result = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Node { dir: string; host: string; file(name: string): string | undefined; write(name: string, text: string): void }

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ipvs-bot-nft-'));
  bin = join(root, 'bin');
  execFileSync('mkdir', [bin]);
  const stubs = join(here, 'node-stubs');
  for (const f of readdirSync(stubs)) { copyFileSync(join(stubs, f), join(bin, f)); chmodSync(join(bin, f), 0o755); }
  for (const real of ['bash', 'timeout', 'mkdir', 'mv']) {
    const p = ['/usr/bin', '/bin', '/usr/local/bin'].map((d) => join(d, real)).find((x) => existsSync(x));
    if (!p) throw new Error(`${real} not found`);
    symlinkSync(p, join(bin, real));
  }
  mountScripts(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));


let n = 0;
function node(): Node {
  const dir = join(root, `node-${++n}`);
  const host = join(dir, 'host');
  execFileSync('mkdir', ['-p', host]);
  return {
    dir, host,
    file: (name) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : undefined),
    write: (name, text) => writeFileSync(join(dir, name), text),
  };
}

function run(phase: keyof typeof NODE_SCRIPTS, nd: Node, env: Record<string, string>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const [shell, ...args] = jobCommand(root, phase);
    execFile(shell!, args, {
      env: {
        PATH: bin, STUB_DIR: nd.dir, IPVS_BOT_PHASE: phase, IPVS_BOT_NODE: 'worker-1',
        IPVS_BOT_TERMINATION_LOG: join(nd.dir, 'termination-log'), IPVS_BOT_HOST_ROOT: nd.host, IPVS_BOT_NO_NSENTER: '1', ...env,
      },
      timeout: 30_000,
    }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${phase} exited ${error.code}: ${stderr}`));
      resolve(JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as Result);
    });
  });
}

describe('node scripts with nftables', () => {
  describe('prep', () => {
    it('nftables on 5.15: loads nf_tables, probes nft, loads no IPVS module and writes no modules file', async () => {
      const nd = node();
      const r = await run('prep', nd, { IPVS_BOT_TARGET_MODE: 'nftables', STUB_KERNEL: '5.15.0-91-generic' });
      expect(r).toMatchObject({ ok: true, errors: [], targetMode: 'nftables', ipvsProbe: 'not-needed' });
      expect(r.modules).toEqual({ nf_tables: 'loaded', nf_conntrack: 'loaded' });
      expect(r.nftables).toEqual({ kernel: true, probe: 'ok', nftVersion: 'nftables v1.0.9 (Old Doc Yak #3)', nftVersionOk: true });
      expect(nd.file('modprobe.log')).not.toMatch(/ip_vs/);
      expect(nd.file('ipvsadm.log')).toBeUndefined();
      expect(existsSync(join(nd.host, 'etc/modules-load.d/ipvs-bot.conf'))).toBe(false);
      expect(readFileSync(join(nd.host, 'etc/sysctl.d/90-ipvs-bot.conf'), 'utf8')).toContain('net.ipv4.ip_forward = 1');
    });

    it('nftables on 5.10: refused with the kernel named, nothing changed on the node', async () => {
      const nd = node();
      const r = await run('prep', nd, { IPVS_BOT_TARGET_MODE: 'nftables', STUB_KERNEL: '5.10.0-28-amd64' });
      expect(r.ok).toBe(false);
      expect(r.errors).toEqual(['kernel 5.10.0-28-amd64 is older than 5.13: kube-proxy in nftables mode requires kernel 5.13 or later']);
      expect(r.nftables).toMatchObject({ kernel: false });
      expect(nd.file('sysctl.log')).toBeUndefined();
      expect(existsSync(join(nd.host, 'etc/sysctl.d/90-ipvs-bot.conf'))).toBe(false);
    });

    it('nftables: a failing nft probe or a missing nf_tables module fails the node', async () => {
      const broken = await run('prep', node(), { IPVS_BOT_TARGET_MODE: 'nftables', STUB_NFT_BROKEN: '1' });
      expect(broken).toMatchObject({ ok: false, nftables: { probe: 'failed' } });
      expect(broken.errors[0]).toMatch(/nftables probe failed.*Operation not supported/);
      const noMod = await run('prep', node(), { IPVS_BOT_TARGET_MODE: 'nftables', STUB_MISSING_MODULES: 'nf_tables' });
      expect(noMod.ok).toBe(false);
      expect(noMod.modules.nf_tables).toBe('missing');
    });

    it('nftables: an nft older than 1.0.1 fails the node with the version named', async () => {
      const r = await run('prep', node(), { IPVS_BOT_TARGET_MODE: 'nftables', STUB_NFT_VERSION: 'nftables v0.9.8 (E.D.S.)' });
      expect(r.ok).toBe(false);
      expect(r.nftables).toMatchObject({ probe: 'ok', nftVersion: 'nftables v0.9.8 (E.D.S.)', nftVersionOk: false });
      expect(r.errors).toEqual(["nft 0.9.8 is older than 1.0.1, which kube-proxy's nftables mode needs"]);
      const ok = await run('prep', node(), { IPVS_BOT_TARGET_MODE: 'nftables', STUB_NFT_VERSION: 'nftables v1.0.1 (Fearless Fosdick #3)' });
      expect(ok.nftables.nftVersionOk).toBe(true);
    });

    it('iptables target on a node without IPVS modules: fine, IPVS is not needed', async () => {
      const r = await run('prep', node(), { IPVS_BOT_TARGET_MODE: 'iptables', STUB_MISSING_MODULES: 'ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh' });
      expect(r).toMatchObject({ ok: true, ipvsProbe: 'not-needed', modules: { nf_conntrack: 'loaded' } });
      expect(Object.keys(r.modules)).toEqual(['nf_conntrack']);
    });

    it('counts kube-proxy nftables tables among the leftovers', async () => {
      const nd = node();
      nd.write('nft-tables', 'ip kube-proxy\nip6 kube-proxy\ninet filter\n');
      const r = await run('prep', nd, { IPVS_BOT_TARGET_MODE: 'ipvs' });
      expect(r.leftovers.kubeProxyNftTables).toBe(2);
    });
  });

  describe('verify', () => {
    it('nftables mode: /proxyMode nftables and the kube-proxy table present', async () => {
      const nd = node();
      nd.write('proxyMode', 'nftables');
      nd.write('nft-tables', 'ip kube-proxy\nip6 kube-proxy\n');
      const r = await run('verify', nd, { IPVS_BOT_TARGET_MODE: 'nftables', IPVS_BOT_PING_TARGET: '10.96.0.1' });
      expect(r).toMatchObject({ ok: true, errors: [], proxyMode: 'nftables', kubeIpvs0: false, nftTables: ['ip kube-proxy', 'ip6 kube-proxy'], ping: { replies: 0 } });
    });

    it('nftables mode without its table, and iptables mode with the nftables tables left, both fail', async () => {
      const missing = node();
      missing.write('proxyMode', 'nftables');
      const r1 = await run('verify', missing, { IPVS_BOT_TARGET_MODE: 'nftables' });
      expect(r1.errors).toEqual(["kube-proxy's nftables table (ip kube-proxy) does not exist"]);
      const left = node();
      left.write('proxyMode', 'iptables');
      left.write('nft-tables', 'ip kube-proxy\n');
      const r2 = await run('verify', left, { IPVS_BOT_TARGET_MODE: 'iptables' });
      expect(r2.errors).toEqual(["kube-proxy's nftables tables are still there (ip kube-proxy): an nftables leftover"]);
    });
  });

  describe('cleanup', () => {
    it('after nftables → iptables: deletes the kube-proxy tables kube-proxy missed, nothing else', async () => {
      const nd = node();
      nd.write('nft-tables', 'ip kube-proxy\nip6 kube-proxy\ninet firewalld\n');
      nd.write('ipvs', 'TCP 10.0.0.50:80\n');
      const r = await run('cleanup', nd, { IPVS_BOT_TARGET_MODE: 'iptables', IPVS_BOT_FROM_MODE: 'nftables' });
      expect(r).toMatchObject({ ok: true, fromMode: 'nftables', removed: { nftTables: 2, ipvsServices: 0, iptablesChains: 0 } });
      expect(nd.file('nft-tables')).toBe('inet firewalld\n');
      expect(nd.file('ipvs')).toBe('TCP 10.0.0.50:80\n');
      expect(r.after.kubeProxyNftTables).toBe(0);
    });

    it('after IPVS → nftables: only checks (kube-proxy cleans up itself) and reports what is left', async () => {
      const nd = node();
      nd.write('kube-ipvs0', '10.96.0.1\n');
      nd.write('ipvs', 'TCP 10.96.0.1:443\n');
      const r = await run('cleanup', nd, { IPVS_BOT_TARGET_MODE: 'nftables', IPVS_BOT_FROM_MODE: 'ipvs' });
      expect(r).toMatchObject({ ok: true, removed: { ipvsServices: 0, kubeIpvs0: 0, nftTables: 0 } });
      expect(r.warnings.join(' ')).toMatch(/1 IPVS services created by Kubernetes are still there after kube-proxy started in nftables mode/);
      expect(nd.file('ipvs')).toBe('TCP 10.96.0.1:443\n');
      expect(nd.file('ipvsadm.log')).toBeUndefined();
    });

    it('dry run counts the nftables tables without deleting them; an unknown previous mode is refused', async () => {
      const nd = node();
      nd.write('nft-tables', 'ip kube-proxy\n');
      const r = await run('cleanup', nd, { IPVS_BOT_TARGET_MODE: 'ipvs', IPVS_BOT_FROM_MODE: 'nftables', IPVS_BOT_DRY_RUN: '1' });
      expect(r).toMatchObject({ ok: true, dryRun: true, removed: { nftTables: 1 } });
      expect(nd.file('nft-tables')).toBe('ip kube-proxy\n');
      const bad = await run('cleanup', node(), { IPVS_BOT_TARGET_MODE: 'ipvs', IPVS_BOT_FROM_MODE: 'userspace;reboot' });
      expect(bad).toMatchObject({ ok: false, errors: ['unknown previous mode'] });
    });
  });
});
