// `ipvs-bot plan` against the sandbox through the real CLI entry (runCli), with no Slack secret in the environment:
// a read-only verb never talks to Slack (issue #15 item 3).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

function capture(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  let buf = '';
  stream.on('data', (d: Buffer) => { buf += d.toString(); });
  return { stream, text: () => buf };
}

describe('src/cli plan', () => {
  let sandbox: Sandbox;
  let dir: string;
  let configPath: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ nodes: 2 });
    dir = mkdtempSync(join(tmpdir(), 'ipvs-cli-plan-'));
    configPath = join(dir, 'ipvs-bot.yaml');
    writeFileSync(configPath, `clusters:\n  - name: lab\n    kubeconfig: ${JSON.stringify(sandbox.kubeconfigPath)}\n    approvers:\n      users: [U0BOB]\n`);
  });
  afterAll(async () => {
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out = capture(); const err = capture();
    // No SLACK_BOT_TOKEN, no SLACK_SIGNING_SECRET: only what a shell on an operator's laptop has.
    const code = await runCli(argv, { out: out.stream, err: err.stream, env: { PATH: process.env.PATH } });
    return { code, out: out.text(), err: err.text() };
  }

  it('prints the plan without any Slack secret, and takes --mode as Slack does', async () => {
    const r = await cli(['plan', 'lab', '--config', configPath, '--mode', 'nftables']);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^Plan for lab \(v[\d.]+\): kube-proxy iptables → nftables/);
    expect(r.code).toBeLessThan(2);
  });

  it('still accepts the old --target-mode, and says so when both disagree', async () => {
    const old = await cli(['plan', 'lab', '--config', configPath, '--target-mode', 'ipvs']);
    expect(old.out).toMatch(/kube-proxy iptables → ipvs/);
    const both = await cli(['plan', 'lab', '--config', configPath, '--mode', 'ipvs', '--target-mode', 'nftables']);
    expect(both.code).toBe(2);
    expect(both.out).toContain('--mode ipvs and --target-mode nftables disagree');
  });
});
