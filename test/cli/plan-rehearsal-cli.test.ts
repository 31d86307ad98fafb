// `ipvs-bot plan` prints the rehearsal line (issue #13 item 1) through the real CLI entry against a sandbox
// cluster; `--no-rehearse` skips it. The rehearsal itself runs on its own in-process sandbox.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

async function cli(argv: string[]): Promise<{ code: number; out: string }> {
  const out = new PassThrough(); const err = new PassThrough();
  let buf = '';
  out.on('data', (d: Buffer) => { buf += d.toString(); });
  const code = await runCli(argv, { out, err, env: { PATH: process.env.PATH } });
  return { code, out: buf };
}

describe('src/cli plan: rehearsal', () => {
  let sandbox: Sandbox;
  let dir: string;
  let configPath: string;
  const writes: string[] = [];
  beforeAll(async () => {
    // k8s-worker-2: kernel 5.10, too old for nftables mode (5.13, k/k pkg/util/kernel/constants.go).
    sandbox = await startSandbox({ nodes: 3, kubernetesVersion: 'v1.31.2', kernel: ['6.1.0-27-amd64', '6.1.0-27-amd64', '5.10.0-30-amd64'] });
    sandbox.onRequest((r) => { if (r.method !== 'GET') writes.push(`${r.method} ${r.path}`); });
    dir = mkdtempSync(join(tmpdir(), 'ipvs-cli-rehearse-'));
    configPath = join(dir, 'ipvs-bot.yaml');
    writeFileSync(configPath, `clusters:\n  - name: lab\n    kubeconfig: ${JSON.stringify(sandbox.kubeconfigPath)}\n    approvers:\n      users: [U0BOB]\n`);
  });
  afterAll(async () => {
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints "rehearsed: migrate ok in N batches, rollback ok" for a plan the cluster can run', async () => {
    const r = await cli(['plan', 'lab', '--mode', 'ipvs', '--config', configPath]);
    expect(r.out).toMatch(/^rehearsed: migrate ok in 3 batches, rollback ok$/m);
    expect(r.code).toBe(0);
  });

  it('prints the failed step and node, exits 1 (blocked), and never writes to the cluster', async () => {
    const r = await cli(['plan', 'lab', '--mode', 'nftables', '--config', configPath]);
    expect(r.out).toMatch(/^rehearsal failed: migrate fails at prepare-nodes on k8s-worker-2: .*older than 5\.13/m);
    expect(r.code).toBe(1);
    expect(writes).toEqual([]);
  });

  it('--no-rehearse skips it and says "not rehearsed"', async () => {
    const r = await cli(['plan', 'lab', '--mode', 'ipvs', '--no-rehearse', '--config', configPath]);
    expect(r.out).toMatch(/^not rehearsed$/m);
    expect(r.out).not.toMatch(/rehearsed: migrate/);
  });
});
