// `ipvs-bot fleet` through the real CLI entry against `--clusters 3`-style sandboxes (one kubeconfig, a context per
// cluster, checked with the real kubectl), plus a cluster nobody answers for and one that hangs: both are rows that
// say so, within the --timeout, and the others still show.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { fleetProfiles, startFleetSandboxes, type FleetSandboxes } from '../../src/sandbox/fleet-sandboxes.js';

function capture(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  let buf = '';
  stream.on('data', (d: Buffer) => { buf += d.toString(); });
  return { stream, text: () => buf };
}

describe('src/cli fleet', () => {
  let f: FleetSandboxes;
  let dir: string;
  let configPath: string;
  beforeAll(async () => {
    f = await startFleetSandboxes(fleetProfiles(3), { base: { nodes: 2, stepMs: 5 } });
    dir = mkdtempSync(join(tmpdir(), 'ipvs-cli-fleet-'));
    const refused = join(dir, 'refused.kubeconfig');
    writeFileSync(refused, 'apiVersion: v1\nkind: Config\nclusters: [{name: x, cluster: {server: "http://127.0.0.1:9"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: x, user: u}}]\ncurrent-context: x\n');
    configPath = join(dir, 'ipvs-bot.yaml');
    writeFileSync(configPath, [
      'waves: [[dev-*], [staging-*], [prod-*]]', 'clusters:',
      ...f.clusters.map((c) => `  - { name: ${c.name}, kubeconfig: ${JSON.stringify(f.kubeconfigPath)}, context: ${c.name}, approvers: { users: [U0BOB] } }`),
      `  - { name: gone, kubeconfig: ${JSON.stringify(refused)}, approvers: { users: [U0BOB] } }`,
      `  - { name: hung, kubeconfig: ${JSON.stringify(f.kubeconfigPath)}, context: prod-1, approvers: { users: [U0BOB] } }`,
    ].join('\n'));
  }, 60_000);
  afterAll(async () => {
    await f?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out = capture(); const err = capture();
    const code = await runCli(argv, { out: out.stream, err: err.stream, env: { PATH: process.env.PATH, IPVS_BOT_DB: join(dir, 'none.db') } });
    return { code, out: out.text(), err: err.text() };
  }

  it('each simulated cluster answers kubectl on its own context, at its own version', async () => {
    // Async: the sandboxes run in this process, so a synchronous exec would block their answers.
    for (const c of f.clusters) {
      const { stdout } = await promisify(execFile)('kubectl', ['--kubeconfig', f.kubeconfigPath, '--context', c.name, 'get', 'nodes', '-o', 'jsonpath={.items[*].status.nodeInfo.kubeletVersion}'], { encoding: 'utf8' });
      expect(stdout.split(' ')[0], c.name).toBe(c.version);
    }
  }, 30_000);

  it('prints one row per cluster, most urgent first; unreachable and hanging clusters are rows that say so (exit 1)', async () => {
    // Every request to prod-1's API server hangs; "hung" shares that server, so prod-1 hangs as well.
    const prod = f.clusters[2]!.sandbox;
    prod.faults.timeoutRate = 1; prod.faults.timeoutMs = 30_000;
    let r;
    try { r = await cli(['fleet', '--config', configPath, '--timeout', '8']); } finally { prod.faults.timeoutRate = 0; }
    expect(r.code, r.err).toBe(1);
    const names = r.out.split('\n').slice(1).filter((l) => /^\S/.test(l)).map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(['dev-1', 'staging-1', 'gone', 'hung', 'prod-1']);
    expect(r.out).toMatch(/^dev-1\s+1\s+yes\s+v1\.35\.0\s+v1\.35\s+ipvs \(ConfigMap\)\s+2\s+6\.1\s+nftables\s+5\s+never$/m);
    expect(r.out).toMatch(/^staging-1\s+2\s+yes\s+v1\.30\.4\s+v1\.30\s+iptables \(ConfigMap\)\s+2\s+6\.1\s+iptables\s+10\s+never$/m);
    expect(r.out).toMatch(/^gone\s+4\s+NO\s/m);
    expect(r.out).toMatch(/hung: unreachable: hung's API server did not answer within 8 s/);
    expect(r.out).toMatch(/prod-1: unreachable/);
  }, 30_000);

  it('--csv writes RFC 4180 rows with the same order', async () => {
    const r = await cli(['fleet', '--config', configPath, '--csv']);
    expect(r.code, r.err).toBe(1);
    const lines = r.out.trim().split('\r\n');
    expect(lines[0]).toMatch(/^cluster,production,wave,reachable,error,kubernetes_version,/);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['dev-1', 'staging-1', 'hung', 'prod-1', 'gone']);
    expect(lines[4]).toMatch(/^prod-1,false,3,true,,v1\.28\.7,v1\.28,ipvs,configmap,,2,6\.1,iptables,"kube-proxy 1\.28 predates/);
    expect(lines.find((l) => l.startsWith('gone,'))).toMatch(/^gone,false,4,false,/);
  }, 30_000);
});
