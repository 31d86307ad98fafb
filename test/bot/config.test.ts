import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDuration } from '../../src/config.js';

const env = { SLACK_BOT_TOKEN: 'xoxb-1-abc', SLACK_SIGNING_SECRET: 'shh' };
const good = `
logLevel: debug
clusters:
  - name: cluster-a
    approvers: { users: [U0001, U0002] }
    approvalTtl: 30m
    channels: [C0001]
  - name: prod-eu
    production: true
    kubeconfig: /etc/kube/prod
    context: prod
    approvers: { users: [U0001], usergroups: [S0SRE] }
    rollbackRequiredApprovals: 1
`;

function problems(fn: () => unknown): { path: string; message: string }[] {
  try { fn(); } catch (e) { if (e instanceof ConfigError) return e.problems; throw e; }
  throw new Error('expected ConfigError');
}

describe('src/config', () => {
  it('parses a good config with defaults and freezes it', () => {
    const c = loadConfig(env, { text: good });
    expect(c.port).toBe(3000);
    expect(c.dbPath).toBe('./data/ipvs-bot.db');
    expect(c.configPath).toBe('./ipvs-bot.yaml');
    expect(c.logLevel).toBe('debug');
    expect(c.slack).toEqual({ botToken: 'xoxb-1-abc', signingSecret: 'shh', socketMode: false });
    expect(c.clusters[0]).toEqual({
      name: 'cluster-a', production: false, approvers: { users: ['U0001', 'U0002'], usergroups: [] },
      requiredApprovals: 1, approvalTtlMs: 30 * 60_000, channels: ['C0001'], jobNamespace: 'ipvs-bot-jobs',
    });
    expect(c.clusters[1]?.requiredApprovals).toBe(2);
    expect(c.clusters[1]?.approvalTtlMs).toBe(3_600_000);
    expect(c.clusters[1]?.kubeconfig).toBe('/etc/kube/prod');
    expect(c.clusters[1]?.rollbackRequiredApprovals).toBe(1);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.clusters[0]?.approvers.users)).toBe(true);
    expect(() => { (c as { port: number }).port = 1; }).toThrow();
  });

  it('reads env values: port, socket mode, api url, log level override, audit key', () => {
    const c = loadConfig({ ...env, PORT: '8080', SLACK_APP_TOKEN: 'xapp-1-x', SLACK_API_URL: 'http://127.0.0.1:9/api/',
      LOG_LEVEL: 'warn', IPVS_BOT_DB: ':memory:', KUBECONFIG: '/k', IPVS_BOT_AUDIT_KEY: '0123456789abcdef' }, { text: good });
    expect(c.port).toBe(8080);
    expect(c.slack.socketMode).toBe(true);
    expect(c.slack.apiUrl).toBe('http://127.0.0.1:9/api/');
    expect(c.logLevel).toBe('warn');
    expect(c.dbPath).toBe(':memory:');
    expect(c.kubeconfig).toBe('/k');
    expect(c.auditKey).toBe('0123456789abcdef');
  });

  it('reads the file named by IPVS_BOT_CONFIG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'bot.yaml');
    writeFileSync(file, good);
    expect(loadConfig({ ...env, IPVS_BOT_CONFIG: file }).configPath).toBe(file);
    expect(problems(() => loadConfig({ ...env, IPVS_BOT_CONFIG: join(dir, 'missing.yaml') })))
      .toEqual([{ path: join(dir, 'missing.yaml'), message: 'config file not found' }]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every env and YAML problem with its path at once', () => {
    const bad = `
clusters:
  - name: Cluster_A
    approvers: { users: [bob, U0001], usergroups: [X1] }
    approvalTtl: soon
    requiredApprovals: 0
    channels: [general]
    colour: blue
  - name: b
    approvers: { users: [U0001] }
    requiredApprovals: 3
  - name: b
    approvers: {}
`;
    const p = problems(() => loadConfig({ SLACK_BOT_TOKEN: 'nope', PORT: '99999', LOG_LEVEL: 'loud', SLACK_API_URL: 'ftp://x' }, { text: bad }));
    const paths = p.map((x) => x.path);
    expect(paths).toEqual(expect.arrayContaining([
      'SLACK_BOT_TOKEN', 'PORT', 'LOG_LEVEL', 'SLACK_API_URL',
      'clusters[0].name', 'clusters[0].approvers.users[0]', 'clusters[0].approvers.usergroups[0]',
      'clusters[0].approvalTtl', 'clusters[0].requiredApprovals', 'clusters[0].channels[0]', 'clusters[0]',
    ]));
    expect(p.find((x) => x.path === 'clusters[0]')?.message).toMatch(/colour/);
    // The semantic checks run once the shape is valid.
    const p2 = problems(() => loadConfig(env, { text: `
clusters:
  - name: b
    approvers: { users: [U0001] }
    requiredApprovals: 3
    rollbackRequiredApprovals: 4
  - name: b
    approvers: {}
` }));
    expect(p2).toEqual([
      { path: 'clusters[0].requiredApprovals', message: 'needs 3 approvals but only 1 approver(s) are listed' },
      { path: 'clusters[0].rollbackRequiredApprovals', message: 'must not exceed requiredApprovals' },
      { path: 'clusters[1].approvers', message: 'must name at least one approver user or user group' },
      { path: 'clusters[1].name', message: 'duplicate of clusters[0].name "b"' },
    ]);
  });

  it('requires a signing secret in HTTP mode and the bot token always', () => {
    expect(problems(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' }, { text: good })))
      .toEqual([{ path: 'SLACK_SIGNING_SECRET', message: expect.stringMatching(/HTTP mode/) }]);
    expect(problems(() => loadConfig({ SLACK_SIGNING_SECRET: 's' }, { text: good })).map((x) => x.path)).toEqual(['SLACK_BOT_TOKEN']);
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }, { text: good }).slack.socketMode).toBe(true);
  });

  it('reports YAML syntax errors and empty files', () => {
    expect(problems(() => loadConfig(env, { text: 'clusters: [\n  - a: b' }))[0]?.message).toMatch(/^YAML:/);
    expect(problems(() => loadConfig(env, { text: '' }))).toEqual([{ path: 'clusters', message: expect.any(String) }]);
    expect(problems(() => loadConfig(env, { text: 'clusters: []' }))).toEqual([{ path: 'clusters', message: 'must list at least one cluster' }]);
  });

  it('parses durations', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('1 fortnight')).toBeUndefined();
  });
});
