// Runs the real node scripts (the exact text the Jobs run, from the ConfigMap they mount, with their command) under
// bash, with stub host tools on PATH.
import { execFile, execFileSync as execFileSyncReal } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderScriptsModule } from '../../src/k8s/node-scripts/generate.js';
import { NODE_SCRIPTS } from '../../src/k8s/node-scripts/scripts.js';
import { jobCommand, mountScripts } from './support/mounted-scripts.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/k8s/node/', import.meta.url));
let root: string;
let bin: string;
let tcpServer: Server;
let openPort = 0;
let closedPort = 0;

type Phase = keyof typeof NODE_SCRIPTS;
interface Node { dir: string; host: string; file(name: string): string | undefined; write(name: string, text: string): void }
type Result = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ipvs-bot-node-'));
  bin = join(root, 'bin');
  // Stub tools plus only the few real programs the scripts may use: the PATH is otherwise empty.
  const stubs = join(here, 'node-stubs');
  execFileSync('mkdir', [bin]);
  for (const f of readdirSync(stubs)) { copyFileSync(join(stubs, f), join(bin, f)); chmodSync(join(bin, f), 0o755); }
  for (const real of ['bash', 'timeout', 'mkdir', 'mv']) symlinkSync(findReal(real), join(bin, real));
  mountScripts(root);
  tcpServer = createServer((s) => s.end());
  await new Promise<void>((r) => tcpServer.listen(0, '127.0.0.1', r));
  openPort = (tcpServer.address() as { port: number }).port;
  const tmp = createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  closedPort = (tmp.address() as { port: number }).port;
  await new Promise((r) => tmp.close(r));
});
afterAll(async () => {
  await new Promise((r) => tcpServer.close(r));
  rmSync(root, { recursive: true, force: true });
});

function execFileSync(cmd: string, args: string[]): void { execFileSyncReal(cmd, args); }
function findReal(name: string): string {
  for (const d of ['/usr/bin', '/bin', '/usr/local/bin']) if (existsSync(join(d, name))) return join(d, name);
  throw new Error(`${name} not found`);
}


let n = 0;
function node(): Node {
  const dir = join(root, `node-${++n}`);
  const host = join(dir, 'host');
  execFileSync('mkdir', ['-p', host]);
  return {
    dir,
    host,
    file: (name) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : undefined),
    write: (name, text) => writeFileSync(join(dir, name), text),
  };
}

function run(phase: Phase, nd: Node, env: Record<string, string> = {}): Promise<Result> {
  const termlog = join(nd.dir, 'termination-log');
  return new Promise((resolve, reject) => {
    const [shell, ...args] = jobCommand(root, phase);
    execFile(shell!, args, {
      env: {
        PATH: bin, STUB_DIR: nd.dir, IPVS_BOT_PHASE: phase, IPVS_BOT_NODE: 'worker-1', IPVS_BOT_TARGET_MODE: 'ipvs',
        IPVS_BOT_TERMINATION_LOG: termlog, IPVS_BOT_HOST_ROOT: nd.host, IPVS_BOT_NO_NSENTER: '1', ...env,
      },
      timeout: 30_000,
    }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${phase} exited ${error.code}: ${stderr}`));
      const lines = stdout.trimEnd().split('\n');
      const last = lines.at(-1)!;
      // The termination message and the last log line are the same single JSON object.
      expect(readFileSync(termlog, 'utf8')).toBe(`${last}\n`);
      expect(Buffer.byteLength(last)).toBeLessThanOrEqual(4096);
      resolve(JSON.parse(last) as Result);
    });
  });
}

describe('src/k8s/node-scripts', () => {
  it('ships scripts.ts generated from the current .sh files', () => {
    const dir = fileURLToPath(new URL('../../src/k8s/node-scripts/', import.meta.url));
    const inSync = readFileSync(join(dir, 'scripts.ts'), 'utf8') === renderScriptsModule(dir);
    expect(inSync, 'scripts.ts is stale: run npx tsx src/k8s/node-scripts/generate.ts').toBe(true);
  });

  describe('prep', () => {
    it('loads nf_conntrack on a 5.15 kernel, persists modules and sysctls, probes IPVS', async () => {
      const nd = node();
      const r = await run('prep', nd, { STUB_KERNEL: '5.15.0-91-generic' });
      expect(r).toMatchObject({ phase: 'prep', node: 'worker-1', ok: true, errors: [], kernel: '5.15.0-91-generic', ipvsProbe: 'ok' });
      expect(r.modules).toEqual({ ip_vs: 'loaded', ip_vs_rr: 'loaded', ip_vs_wrr: 'loaded', ip_vs_sh: 'loaded', nf_conntrack: 'loaded' });
      expect(readFileSync(join(nd.host, 'etc/modules-load.d/ipvs-bot.conf'), 'utf8')).toBe(
        '# Written by ipvs-bot: kernel modules for kube-proxy in IPVS mode.\nip_vs\nip_vs_rr\nip_vs_wrr\nip_vs_sh\nnf_conntrack\nbr_netfilter\n');
      expect(readFileSync(join(nd.host, 'etc/sysctl.d/90-ipvs-bot.conf'), 'utf8')).toContain('net.bridge.bridge-nf-call-iptables = 1\n');
      expect(nd.file('sysctl.log')).toBe('-w net.ipv4.ip_forward=1\n-w net.bridge.bridge-nf-call-iptables=1\n-w net.bridge.bridge-nf-call-ip6tables=1\n');
      expect(r.sysctls).toEqual({ 'net.ipv4.ip_forward': 'set', 'net.bridge.bridge-nf-call-iptables': 'set', 'net.bridge.bridge-nf-call-ip6tables': 'set' });
      // the probe VS was added and removed again
      expect(nd.file('ipvsadm.log')).toBe('-A -t 198.51.100.0:20000 -s rr\n-D -t 198.51.100.0:20000\n');
      expect(nd.file('ipvs')).toBe('');
    });

    it('loads nf_conntrack_ipv4 on a 4.18 kernel, and falls back to nf_conntrack on RHEL 8 backports', async () => {
      const r = await run('prep', node(), { STUB_KERNEL: '4.18.0-513.el8.x86_64' });
      expect(r.ok).toBe(true);
      expect(r.modules.nf_conntrack_ipv4).toBe('loaded');
      expect(r.modules.nf_conntrack).toBeUndefined();
      const rhel = await run('prep', node(), { STUB_KERNEL: '4.18.0-513.el8.x86_64', STUB_MISSING_MODULES: 'nf_conntrack_ipv4' });
      expect(rhel.ok).toBe(true);
      expect(rhel.modules.nf_conntrack).toBe('loaded');
      expect(rhel.warnings.join(' ')).toMatch(/no nf_conntrack_ipv4/);
    });

    it('reports nf_conntrack_ipv4 on a 3.10 kernel but refuses it (< 4.1) without persisting anything', async () => {
      const nd = node();
      const r = await run('prep', nd, { STUB_KERNEL: '3.10.0-1160.el7.x86_64' });
      expect(r.ok).toBe(false);
      expect(r.modules.nf_conntrack_ipv4).toBe('loaded');
      expect(r.errors.join(' ')).toMatch(/older than 4\.1/);
      expect(existsSync(join(nd.host, 'etc/modules-load.d/ipvs-bot.conf'))).toBe(false);
      expect(nd.file('sysctl.log')).toBeUndefined();
    });

    it('fails a 4.0 kernel', async () => {
      const r = await run('prep', node(), { STUB_KERNEL: '4.0.9-custom' });
      expect(r.ok).toBe(false);
      expect(r.errors[0]).toMatch(/4\.0\.9-custom is older than 4\.1/);
    });

    it('names a missing ip_vs_sh module and fails', async () => {
      const nd = node();
      const r = await run('prep', nd, { STUB_MISSING_MODULES: 'ip_vs_sh' });
      expect(r.ok).toBe(false);
      expect(r.modules.ip_vs_sh).toBe('missing');
      expect(r.modules.ip_vs).toBe('loaded');
      expect(r.errors).toContain('kernel module ip_vs_sh could not be loaded');
      expect(readFileSync(join(nd.host, 'etc/modules-load.d/ipvs-bot.conf'), 'utf8')).not.toContain('ip_vs_sh');
    });

    it('adds the scheduler module once, and refuses an unknown scheduler before touching the node', async () => {
      const wlc = await run('prep', node(), { IPVS_BOT_SCHEDULER: 'wlc' });
      expect(Object.keys(wlc.modules)).toEqual(['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'ip_vs_wlc', 'nf_conntrack']);
      const sh = await run('prep', node(), { IPVS_BOT_SCHEDULER: 'sh' });
      expect(Object.keys(sh.modules).filter((m) => m === 'ip_vs_sh')).toHaveLength(1);
      const nd = node();
      const bad = await run('prep', nd, { IPVS_BOT_SCHEDULER: 'rr;reboot' });
      expect(bad).toMatchObject({ ok: false, errors: ['unsupported IPVS scheduler'] });
      expect(nd.file('modprobe.log')).toBeUndefined();
    });

    it('runs host commands through nsenter into PID 1 unless switched off', async () => {
      const nd = node();
      const r = await run('prep', nd, { IPVS_BOT_NO_NSENTER: '' });
      expect(r.ok).toBe(true);
      expect(nd.file('nsenter.log')!.split('\n')[0]).toBe('-t 1 -m -u -i -n -- modprobe ip_vs');
      expect(nd.file('nsenter.log')).toContain('-t 1 -m -u -i -n -- sysctl -w net.ipv4.ip_forward=1');
    });

    it('fails when the IPVS probe fails (kube-proxy would crash-loop)', async () => {
      const r = await run('prep', node(), { STUB_IPVS_BROKEN: '1' });
      expect(r).toMatchObject({ ok: false, ipvsProbe: 'failed' });
      expect(r.errors[0]).toMatch(/IPVS probe failed.*Memory allocation problem/);
    });

    it('lists IPVS services Kubernetes did not create and counts the old mode\'s leftovers', async () => {
      const nd = node();
      nd.write('ipvs', 'TCP 10.0.0.50:80\nUDP 10.0.0.50:53\n');
      nd.write('iptables.nat', readFileSync(join(fixtures, 'iptables-mode.nat'), 'utf8'));
      nd.write('iptables.filter', readFileSync(join(fixtures, 'mixed.filter'), 'utf8'));
      const r = await run('prep', nd);
      expect(r.ok).toBe(true);
      expect(r.foreignIpvsServices).toEqual(['TCP 10.0.0.50:80', 'UDP 10.0.0.50:53']);
      expect(r.foreignIpvsServicesCount).toBe(2);
      expect(r.leftovers).toEqual({ iptablesModeChains: 7, ipvsModeChains: 2, kubeIpvs0: 0, kubernetesIpvsServices: 0, kubeIpsets: 0, kubeProxyNftTables: 0 });
    });

    it('emits valid JSON for hostile values (quotes, backslashes, control characters, unicode)', async () => {
      const weird = 'n"o\\d\ne\t\u0001x\u001fé🙂</script>';
      const r = await run('prep', node(), { IPVS_BOT_NODE: weird, STUB_KERNEL: '5.15.0 "quoted"\\\u0002' });
      expect(r.node).toBe(weird);
      expect(r.kernel).toBe('5.15.0 "quoted"\\\u0002');
    });

    it('still emits one JSON line when the script dies unexpectedly', async () => {
      // An unset variable under `set -u` aborts the script; the EXIT trap must still report.
      const nd = node();
      const r = await new Promise<Result>((resolve, reject) => {
        execFile('/bin/bash', ['-c', NODE_SCRIPTS.prep.replace('field_str kernel "$KERNEL"', 'field_str kernel "$NO_SUCH_VAR"'), 'x'], {
          env: { PATH: bin, STUB_DIR: nd.dir, IPVS_BOT_PHASE: 'prep', IPVS_BOT_TERMINATION_LOG: join(nd.dir, 't'), IPVS_BOT_NO_NSENTER: '1' },
        }, (error, stdout) => (stdout ? resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as Result) : reject(error)));
      });
      expect(r.ok).toBe(false);
      expect(r.errors[0]).toMatch(/ended unexpectedly/);
    });
  });

  describe('verify', () => {
    it('passes a node in IPVS mode', async () => {
      const nd = node();
      nd.write('proxyMode', 'ipvs');
      nd.write('kube-ipvs0', '10.96.0.1\n10.96.0.10\n');
      nd.write('ipvs', 'TCP 10.96.0.1:443\nTCP 10.96.0.10:53\nUDP 10.96.0.10:53\nTCP 10.0.0.50:80\n');
      const r = await run('verify', nd, {
        IPVS_BOT_TCP_TARGET: `127.0.0.1:${openPort}`, IPVS_BOT_DNS_NAME: 'kubernetes.default.svc.cluster.local',
        IPVS_BOT_DNS_SERVER: '10.96.0.10', IPVS_BOT_PING_TARGET: '10.96.0.1', IPVS_BOT_EXPECTED_SERVICES: '3', STUB_PING_REPLIES: '3',
      });
      expect(r).toMatchObject({
        phase: 'verify', ok: true, errors: [], proxyMode: 'ipvs', kubeIpvs0: true, ipvsServices: 4, kubernetesIpvsServices: 3,
        tcp: { target: `127.0.0.1:${openPort}`, ok: true }, dns: { name: 'kubernetes.default.svc.cluster.local', ok: true },
        ping: { target: '10.96.0.1', replies: 3, rejected: 0, expected: 'replied-or-rejected', outcome: 'replied' },
      });
      expect(r.dns).toEqual({ name: 'kubernetes.default.svc.cluster.local', server: '10.96.0.10', type: 'A', ok: true, status: 'NOERROR', answers: ['10.96.0.1'], exit: 0 });
      expect(nd.file('curl.log')).toBe('-s -g -m 5 http://127.0.0.1:10249/proxyMode\n');
      expect(nd.file('dig.log')).toBe('+time=2 +tries=2 +noall +comments +answer @10.96.0.10 kubernetes.default.svc.cluster.local A\n');
    });

    it('passes a node in iptables mode where the ClusterIP does not answer ping', async () => {
      const nd = node();
      nd.write('proxyMode', 'iptables');
      nd.write('iptables.nat', readFileSync(join(fixtures, 'iptables-mode.nat'), 'utf8'));
      const r = await run('verify', nd, {
        IPVS_BOT_TARGET_MODE: 'iptables', IPVS_BOT_TCP_TARGET: `127.0.0.1:${openPort}`, IPVS_BOT_PING_TARGET: '10.96.0.1',
        IPVS_BOT_DNS_NAME: 'kubernetes.default.svc.cluster.local',
      });
      expect(r).toMatchObject({ ok: true, proxyMode: 'iptables', kubeIpvs0: false, ipvsServices: 0, kubeSvcChains: 2, ping: { replies: 0 } });
    });

    it('fails iptables mode when kube-ipvs0 was left behind and the ClusterIP still answers ping', async () => {
      const nd = node();
      nd.write('proxyMode', 'iptables');
      nd.write('kube-ipvs0', '10.96.0.1\n');
      const r = await run('verify', nd, { IPVS_BOT_TARGET_MODE: 'iptables', IPVS_BOT_PING_TARGET: '10.96.0.1', STUB_PING_REPLIES: '3' });
      expect(r.ok).toBe(false);
      expect(r.errors).toEqual([
        'kube-ipvs0 still exists: ClusterIPs stay local addresses on this node until it is removed',
        'ClusterIP 10.96.0.1 answers ping in iptables mode: an IPVS leftover (kube-ipvs0) still owns it',
      ]);
    });

    it('fails IPVS mode when kube-proxy is silent, too few services exist, TCP and DNS fail', async () => {
      const nd = node();
      nd.write('ipvs', 'TCP 10.96.0.1:443\n');
      const r = await run('verify', nd, {
        IPVS_BOT_TCP_TARGET: `127.0.0.1:${closedPort}`, IPVS_BOT_DNS_NAME: 'kubernetes.default.svc.cluster.local',
        IPVS_BOT_EXPECTED_SERVICES: '3', STUB_DNS: 'nxdomain', IPVS_BOT_PING_TARGET: '10.96.0.1', IPVS_BOT_KUBE_PROXY_MINOR: '25',
      });
      expect(r).toMatchObject({
        ok: false, proxyMode: '', kubeIpvs0: false, tcp: { ok: false }, dns: { ok: false, status: 'NXDOMAIN', answers: [], exit: 0 },
        ping: { replies: 0, expected: 'replied', outcome: 'no-answer' },
      });
      expect(r.errors).toEqual([
        'kube-proxy did not answer on 127.0.0.1:10249/proxyMode',
        'kube-ipvs0 does not exist',
        'only 1 IPVS virtual servers, expected at least 3 (one per ClusterIP Service port)',
        `TCP connect to 127.0.0.1:${closedPort} failed`,
        'DNS lookup of kubernetes.default.svc.cluster.local failed: NXDOMAIN',
        'ClusterIP 10.96.0.1 does not answer ping: it is not bound to kube-ipvs0',
      ]);
    });

    it('counts NodePort, LB and kube-ipvs0 virtual servers as Kubernetes\' and fwmark ones as foreign', async () => {
      // IPVS virtual servers need a kernel with IP_VS, which the real-host tier may lack: the ownership rule is here.
      const nd = node();
      nd.write('proxyMode', 'ipvs');
      nd.write('kube-ipvs0', '10.96.0.1\nfd00:10:96::1\n');
      nd.write('addrs', 'lo 127.0.0.1\neth0 192.168.1.10\neth0 2001:db8::11\n');
      nd.write('ipvs', [
        'TCP 10.96.0.1:443', 'TCP [fd00:10:96::1]:443', 'TCP 192.168.1.10:30080', 'TCP [2001:db8::11]:30080', 'UDP 127.0.0.1:30053',
        'TCP 203.0.113.10:80', 'TCP [2001:DB8::10]:443', // LB ingress IPs that are not node addresses
        'TCP 192.168.1.10:8080', 'UDP 192.168.1.10:30080', 'TCP 10.0.0.50:30080', 'FWM 100', 'FWM 101',
      ].join('\n') + '\n');
      const r = await run('verify', nd, {
        IPVS_BOT_SERVICE_VS: 'TCP:30080 UDP:30053 TCP/203.0.113.10:80 TCP/[2001:db8::10]:443', IPVS_BOT_KUBE_PROXY_MINOR: '28',
      });
      expect(r).toMatchObject({ errors: [], ipvsServices: 12, kubernetesIpvsServices: 7, foreignIpvsServices: 5 });
      const bad = await run('verify', nd, { IPVS_BOT_SERVICE_VS: 'TCP:30080 $(reboot)' });
      expect(bad.errors).toEqual(['IPVS_BOT_SERVICE_VS has an invalid entry']);
      expect(bad).toMatchObject({ kubernetesIpvsServices: 2, foreignIpvsServices: 10 });
    });

    it('reads ping per mode and kube-proxy version; errors only where the contract says', async () => {
      const cases: [string, string | undefined, Record<string, string>, string, string | undefined][] = [
        ['ipvs', '28', { STUB_PING_ERRORS: '3' }, 'rejected', undefined],
        ['ipvs', '28', { STUB_PING_REPLIES: '3' }, 'replied', undefined],
        ['ipvs', '25', { STUB_PING_ERRORS: '3' }, 'rejected', 'ClusterIP 10.96.0.1 does not answer ping: it is not bound to kube-ipvs0'],
        ['ipvs', undefined, { STUB_PING_ERRORS: '3' }, 'rejected', undefined],
        ['iptables', '28', { STUB_PING_ERRORS: '3' }, 'rejected', undefined],
        ['nftables', '30', { STUB_PING_REPLIES: '2' }, 'replied', 'ClusterIP 10.96.0.1 answers ping in nftables mode: an IPVS leftover (kube-ipvs0) still owns it'],
      ];
      for (const [mode, minor, stub, outcome, error] of cases) {
        const nd = node();
        nd.write('proxyMode', mode);
        if (mode === 'ipvs') nd.write('kube-ipvs0', '10.96.0.1\n');
        if (mode === 'nftables') nd.write('nft-tables', 'ip kube-proxy\n');
        const r = await run('verify', nd, { IPVS_BOT_TARGET_MODE: mode, IPVS_BOT_PING_TARGET: '10.96.0.1', ...(minor ? { IPVS_BOT_KUBE_PROXY_MINOR: minor } : {}), ...stub });
        expect(r.ping.outcome, `${mode} 1.${minor}`).toBe(outcome);
        expect(r.errors, `${mode} 1.${minor}`).toEqual(error ? [error] : []);
      }
      const v6 = node();
      await run('verify', v6, { IPVS_BOT_PING_TARGET: 'fd00:10:96::1' });
      expect(v6.file('ping.log')).toBe('-6 -n -c 3 -i 0.2 -W 1 fd00:10:96::1\n');
    });

    it('reports a mode mismatch and rejects a malformed target instead of using it', async () => {
      const nd = node();
      nd.write('proxyMode', 'iptables');
      const r = await run('verify', nd, { IPVS_BOT_TCP_TARGET: '$(reboot):443' });
      expect(r.errors).toContain('kube-proxy reports mode iptables, expected ipvs');
      expect(r.errors).toContain('invalid TCP target');
    });
  });

  describe('cleanup', () => {
    it('after iptables -> IPVS removes only iptables-mode chains and the jumps into them', async () => {
      const nd = node();
      nd.write('iptables.nat', readFileSync(join(fixtures, 'iptables-mode.nat'), 'utf8'));
      nd.write('iptables.filter', readFileSync(join(fixtures, 'mixed.filter'), 'utf8'));
      nd.write('ipvs', 'TCP 10.0.0.50:80\n');
      const r = await run('cleanup', nd, { IPVS_BOT_TARGET_MODE: 'ipvs' });
      expect(r).toMatchObject({ ok: true, removed: { iptablesChains: 7, iptablesRules: 6, ipvsServices: 0, kubeIpvs0: 0, ipsets: 0 } });
      expect(r.after.iptablesModeChains).toBe(0);
      const nat = nd.file('iptables.nat')!;
      const filter = nd.file('iptables.filter')!;
      expect(nat).not.toMatch(/KUBE-SVC-|KUBE-SEP-|KUBE-NODEPORTS/);
      expect(nat).toContain(':KUBE-SERVICES - [0:0]');
      expect(filter).toContain(':KUBE-IPVS-FILTER - [0:0]');
      expect(filter).toContain('-A INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT');
      expect(filter).not.toMatch(/KUBE-SERVICES|KUBE-EXTERNAL-SERVICES|KUBE-NODEPORTS/);
      expect(nd.file('iptables-restore.log')).toContain('-D FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
      expect(nd.file('ipvs')).toBe('TCP 10.0.0.50:80\n');
    });

    it('after IPVS -> iptables removes Kubernetes IPVS services, kube-ipvs0, IPVS chains and ipsets, keeping foreign services', async () => {
      const nd = node();
      nd.write('kube-ipvs0', '10.96.0.1\n10.96.0.10\n');
      nd.write('ipvs', 'TCP 10.96.0.1:443\nTCP 10.96.0.10:53\nUDP 10.96.0.10:53\nTCP 10.0.0.50:80\nUDP 192.168.1.5:514\n');
      nd.write('iptables.nat', readFileSync(join(fixtures, 'ipvs-mode.nat'), 'utf8'));
      nd.write('iptables.filter', readFileSync(join(fixtures, 'mixed.filter'), 'utf8'));
      nd.write('ipsets', 'KUBE-CLUSTER-IP\nKUBE-LOOP-BACK\nKUBE-LOAD-BALANCER\nKUBE-IPVS-IPS\ncali40all-hosts-net\n');
      const r = await run('cleanup', nd, { IPVS_BOT_TARGET_MODE: 'iptables' });
      expect(r.errors).toEqual([]);
      expect(r).toMatchObject({ ok: true, removed: { ipvsServices: 3, kubeIpvs0: 1, ipsets: 4 }, kept: { foreignIpvsServices: 2 } });
      expect(r.kept.foreign).toEqual(['TCP 10.0.0.50:80', 'UDP 192.168.1.5:514']);
      expect(nd.file('ipvs')).toBe('TCP 10.0.0.50:80\nUDP 192.168.1.5:514\n');
      expect(nd.file('kube-ipvs0')).toBeUndefined();
      expect(nd.file('ipsets')).toBe('cali40all-hosts-net\n');
      expect(nd.file('iptables.nat')).not.toMatch(/KUBE-NODE-PORT|KUBE-LOAD-BALANCER|--match-set KUBE-/);
      expect(nd.file('iptables.filter')).not.toMatch(/KUBE-IPVS-FILTER|KUBE-NODE-PORT /);
      expect(r.after).toEqual({ iptablesModeChains: 3, ipvsModeChains: 0, kubeIpvs0: 0, kubernetesIpvsServices: 0, kubeIpsets: 0, kubeProxyNftTables: 0 });
    });

    it('after IPVS -> iptables deletes NodePort and LB virtual servers by the ownership rule, keeps fwmark and foreign ones', async () => {
      const nd = node();
      nd.write('kube-ipvs0', '10.96.0.1\n');
      nd.write('ipvs', 'TCP 10.96.0.1:443\nTCP 192.168.1.10:30080\nTCP 203.0.113.10:80\nFWM 100\nTCP 10.0.0.50:80\n');
      const r = await run('cleanup', nd, { IPVS_BOT_TARGET_MODE: 'iptables', IPVS_BOT_SERVICE_VS: 'TCP:30080 TCP/203.0.113.10:80' });
      expect(r).toMatchObject({ ok: true, removed: { ipvsServices: 3 }, kept: { foreignIpvsServices: 2, foreign: ['FWM 100', 'TCP 10.0.0.50:80'] } });
      expect(nd.file('ipvs')).toBe('FWM 100\nTCP 10.0.0.50:80\n');
    });

    it('restores the ARP sysctls from IPVS_BOT_RESTORE_SYSCTLS, and refuses anything outside the allowlist', async () => {
      const nd = node();
      const r = await run('cleanup', nd, {
        IPVS_BOT_TARGET_MODE: 'iptables', IPVS_BOT_RESTORE_SYSCTLS: 'net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0',
      });
      expect(r).toMatchObject({ ok: true, restoredSysctls: { 'net.ipv4.conf.all.arp_ignore': '0', 'net.ipv4.conf.all.arp_announce': '0' } });
      expect(nd.file('sysctl.log')).toBe('-w net.ipv4.conf.all.arp_ignore=0\n-w net.ipv4.conf.all.arp_announce=0\n');
      for (const bad of ['net.ipv4.ip_forward=0', 'net.ipv4.conf.all.arp_ignore=$(reboot)', 'net.ipv4.conf.all.arp_ignore=1 kernel.panic=1']) {
        const b = node();
        b.write('kube-ipvs0', '10.96.0.1\n');
        const rb = await run('cleanup', b, { IPVS_BOT_TARGET_MODE: 'iptables', IPVS_BOT_RESTORE_SYSCTLS: bad });
        expect(rb.ok).toBe(false);
        expect(rb.errors[0]).toMatch(/IPVS_BOT_RESTORE_SYSCTLS has an invalid entry/);
        expect(b.file('sysctl.log')).toBeUndefined();
        expect(b.file('kube-ipvs0')).toBe('10.96.0.1\n'); // nothing changed at all
      }
    });

    it('only counts in dry-run mode', async () => {
      const nd = node();
      nd.write('kube-ipvs0', '10.96.0.1\n');
      nd.write('ipvs', 'TCP 10.96.0.1:443\n');
      nd.write('ipsets', 'KUBE-CLUSTER-IP\n');
      const r = await run('cleanup', nd, { IPVS_BOT_TARGET_MODE: 'iptables', IPVS_BOT_DRY_RUN: '1' });
      expect(r).toMatchObject({ ok: true, dryRun: true, removed: { ipvsServices: 1, kubeIpvs0: 1, ipsets: 1 } });
      expect(nd.file('ipvs')).toBe('TCP 10.96.0.1:443\n');
      expect(nd.file('kube-ipvs0')).toBe('10.96.0.1\n');
    });
  });
});
