// `ipvs-bot doctor` end to end: the CLI as a child process, against the sandbox API server over real HTTP
// (client-node, SelfSubjectAccessReview), with the real config loader and the real SQLite migrations.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { REQUIRED_PERMISSIONS } from '../../src/k8s/required-permissions.js';
import { SlackSocketMode, SlackStandIn } from '../../src/slack-stand-in/index.js';
import { Monitoring, describeMonitoring } from '../e2e/support/monitoring.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BOT_TOKEN = 'xoxb-doctor-test-token-1234567890';
const APP_TOKEN = 'xapp-1-doctor-test';
// SLACK_API_URL is set once the Slack stand-in (with Socket Mode) is up: doctor asks it apps.connections.open.
const ENV: Record<string, string> = { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN };

let sandbox: Sandbox;
let dir: string;
let slack: SlackStandIn;
let socket: SlackSocketMode;

beforeAll(async () => {
  slack = await SlackStandIn.start();
  socket = await SlackSocketMode.attach(slack, { appTokens: [APP_TOKEN] });
  ENV.SLACK_API_URL = slack.apiUrl;
  sandbox = await startSandbox({ nodes: 2 });
  dir = mkdtempSync(join(tmpdir(), 'ipvs-bot-doctor-'));
});
afterAll(async () => {
  await socket?.stop();
  await slack?.stop();
  await sandbox?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function cluster(name: string, extra: Record<string, unknown> = {}) {
  return { name, kubeconfig: sandbox.kubeconfigPath, approvers: { users: ['U0123ABCDE'] }, ...extra };
}

function writeConfig(file: string, doc: unknown): string {
  const path = join(dir, file);
  writeFileSync(path, typeof doc === 'string' ? doc : stringify(doc));
  return path;
}

/** Runs `node --import tsx src/cli.ts doctor …` with only the given env (plus PATH/HOME for node itself). */
function doctor(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'doctor', ...args], {
      cwd: ROOT, timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A port nobody listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('ipvs-bot doctor (sandbox, child process)', () => {
  it('passes every check with the admin token, creates and migrates the DB, exit 0', async () => {
    const config = writeConfig('admin.yaml', { clusters: [cluster('sandbox')] });
    const db = join(dir, 'data', 'admin.db');
    const r = await doctor([], { ...ENV, IPVS_BOT_CONFIG: config, IPVS_BOT_DB: db });
    expect(r.stderr).not.toMatch(/Error|at .*\.ts/);
    expect(r.code, r.stdout).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^SCOPE\s+CHECK\s+RESULT\s+DETAIL$/);
    expect(r.stdout).toMatch(/^sandbox\s+reachable\s+PASS\s+API server v1\.28\.7/m);
    expect(r.stdout).toMatch(/^slack\s+Socket Mode \(apps\.connections\.open\)\s+PASS\s+the app-level token may connect; WebSocket host 127\.0\.0\.1:\d+/m);
    expect(r.stdout).toMatch(/^sandbox\s+kube-proxy ConfigMap\s+PASS/m);
    expect(r.stdout).toMatch(/^sandbox\s+kube-proxy DaemonSet\s+PASS/m);
    expect(r.stdout).toMatch(/^sandbox\s+permission: patch configmaps "kube-proxy" in kube-system\s+PASS/m);
    expect(lines.filter((l) => /^sandbox\s+permission: .*\sPASS\s/.test(l))).toHaveLength(REQUIRED_PERMISSIONS.length);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.stdout).toMatch(/All \d+ checks passed\./);
    // the DB exists with the migrations applied
    const sqlite = new Database(db, { readonly: true });
    const n = (sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n;
    sqlite.close();
    expect(n).toBeGreaterThan(0);
    expect(r.stdout).toContain(`${n} migrations applied`);
  });

  it('with the restricted token: names each missing permission with its fix; an unreachable cluster fails too; exit 1', async () => {
    const port = await closedPort();
    const deadKubeconfig = join(dir, 'dead.kubeconfig');
    const kc = parse(readFileSync(sandbox.kubeconfigPath, 'utf8')) as { clusters: { cluster: { server: string } }[] };
    kc.clusters[0]!.cluster.server = `http://127.0.0.1:${port}`;
    writeFileSync(deadKubeconfig, stringify(kc));
    const config = writeConfig('restricted.yaml', {
      clusters: [cluster('limited', { context: 'sandbox-restricted' }), cluster('gone', { kubeconfig: deadKubeconfig })],
    });
    const r = await doctor(['--json'], { ...ENV, IPVS_BOT_CONFIG: config, IPVS_BOT_DB: join(dir, 'restricted.db') });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; checks: { scope: string; check: string; status: string; detail: string; fix?: string }[] };
    expect(out.ok).toBe(false);
    const row = (scope: string, check: string) => out.checks.find((c) => c.scope === scope && c.check === check);

    // reads the restricted token may do pass; writes it may not do fail, each with the rule to add
    expect(row('limited', 'reachable')?.status).toBe('pass');
    expect(row('limited', 'kube-proxy ConfigMap')?.status).toBe('pass');
    expect(row('limited', 'permission: get configmaps "kube-proxy" in kube-system')?.status).toBe('pass');
    const patch = row('limited', 'permission: patch configmaps "kube-proxy" in kube-system');
    expect(patch).toMatchObject({ status: 'fail' });
    expect(patch?.detail).toContain('switch the proxy mode');
    expect(patch?.fix).toBe('add Role in namespace kube-system bound to the bot\'s ServiceAccount: {apiGroups: [""], resources: ["configmaps"], resourceNames: ["kube-proxy"], verbs: ["patch"]} (see deploy/rbac.yaml)');
    expect(row('limited', 'permission: create jobs.batch in ipvs-bot-jobs')).toMatchObject({ status: 'fail', fix: expect.stringContaining('verbs: ["create"]') });
    expect(row('limited', 'permission: delete pods in kube-system')?.status).toBe('fail');

    expect(row('gone', 'reachable')).toMatchObject({ status: 'fail', fix: expect.stringContaining(deadKubeconfig) });
    expect(row('gone', 'kube-proxy + permissions')?.status).toBe('skip');
    // the token itself never reaches the output
    expect(r.stdout + r.stderr).not.toContain(sandbox.restrictedToken!);
    expect(r.stdout + r.stderr).not.toContain(sandbox.token);
  });

  it('a refused app token and an unreachable Slack API each fail the Socket Mode row with what to fix; exit 1', async () => {
    const config = writeConfig('slack.yaml', { clusters: [cluster('sandbox')] });
    const opensBefore = slack.callsTo('apps.connections.open').length;
    const wrong = await doctor(['--json', '--cluster', 'sandbox'], { ...ENV, SLACK_APP_TOKEN: 'xapp-1-from-another-app', IPVS_BOT_CONFIG: config, IPVS_BOT_DB: join(dir, 'slack.db') });
    expect(wrong.code, wrong.stdout + wrong.stderr).toBe(1);
    const row = (JSON.parse(wrong.stdout) as { checks: { scope: string; status: string; detail: string; fix?: string }[] }).checks.find((c) => c.scope === 'slack');
    expect(row).toMatchObject({ status: 'fail', detail: expect.stringMatching(/apps\.connections\.open answered invalid_auth$/), fix: expect.stringMatching(/app-level token.*connections:write/) });
    expect(slack.callsTo('apps.connections.open')).toHaveLength(opensBefore + 1);
    expect(wrong.stdout).not.toContain('xapp-1-from-another-app');

    const gone = await doctor(['--json', '--cluster', 'sandbox'], { ...ENV, SLACK_API_URL: `http://127.0.0.1:${await closedPort()}/api/`, IPVS_BOT_CONFIG: config, IPVS_BOT_DB: join(dir, 'slack.db') });
    expect(gone.code).toBe(1);
    const down = (JSON.parse(gone.stdout) as { checks: { scope: string; status: string; detail: string; fix?: string }[] }).checks.find((c) => c.scope === 'slack');
    expect(down).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^could not reach http:\/\/127\.0\.0\.1:\d+\/api\/apps\.connections\.open/), fix: expect.stringContaining('SLACK_API_URL') });
  });

  it('lists every configuration problem with its path and exits 2 without touching any cluster or the DB', async () => {
    const config = writeConfig('bad.yaml', {
      clusters: [
        { name: 'Bad_Name', approvers: { users: ['not-a-user'] } },
        { name: 'ok', kubeconfig: sandbox.kubeconfigPath, approvers: { users: [] }, approvalTtl: 'soon' },
      ],
    });
    const db = join(dir, 'never.db');
    const r = await doctor([], { SLACK_APP_TOKEN: 'xapp-1-x', IPVS_BOT_CONFIG: config, IPVS_BOT_DB: db });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const paths = ['SLACK_BOT_TOKEN', 'clusters[0].name', 'clusters[0].approvers.users[0]', 'clusters[1].approvalTtl'];
    for (const path of paths) {
      expect(r.stdout).toMatch(new RegExp(`^config\\s+${path.replace(/[[\].]/g, '\\$&')}\\s+FAIL\\s+\\S`, 'm'));
    }
    expect(r.stdout).toContain(`${paths.length} of ${paths.length} checks failed.`);
    expect(r.stdout).not.toMatch(/reachable|permission:/);
    expect(() => new Database(db, { readonly: true, fileMustExist: true })).toThrow();
  });

  it('refuses unknown options with the usage line, exit 2', async () => {
    const r = await doctor(['--frobnicate'], ENV);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain('usage: ipvs-bot doctor');
  });
});

describeMonitoring('ipvs-bot doctor: the gates\' Prometheus and Alertmanager (real servers)', () => {
  let mon: Monitoring;
  beforeAll(async () => { mon = await Monitoring.start(); await mon.scraped(); }, 90_000);
  afterAll(async () => { await mon?.stop(); });

  it('passes a query with series and a reachable Alertmanager; fails bad PromQL, a query without series and a dead Alertmanager, each with its fix', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const config = writeConfig('gates.yaml', { clusters: [
      cluster('gated', {
        prometheus: { url: mon.prometheusUrl, checks: [
          { name: 'errors', query: 'max(test_error_ratio)', max: 0.05 },
          { name: 'typo', query: 'max(test_error_ratio', max: 1 },
          { name: 'nothing', query: 'no_such_metric_seconds', max: 1 },
        ] },
        alertmanager: { url: mon.alertmanagerUrl, block: ['alertname="ClusterOnFire"'] },
      }),
      cluster('dead-am', { alertmanager: { url: dead, block: ['alertname="ClusterOnFire"'] } }),
    ] });
    const r = await doctor([], { ...ENV, IPVS_BOT_CONFIG: config, IPVS_BOT_DB: join(dir, 'data', 'gates.db') });
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/^gated\s+prometheus:errors\s+PASS\s+Prometheus http:\/\/127\.0\.0\.1:\d+ answers the query: 1 series/m);
    expect(r.stdout).toMatch(/^gated\s+prometheus:typo\s+FAIL\s+Prometheus refused the query \(HTTP 400, bad_data: .*parse error/m);
    expect(r.stdout).toMatch(/fix the PromQL of check "typo"/);
    expect(r.stdout).toMatch(/^gated\s+prometheus:nothing\s+FAIL\s+the query answers, but with no series now/m);
    expect(r.stdout).toMatch(/^gated\s+alertmanager\s+PASS\s+Alertmanager 0\.\d+\.\d+ at http:\/\/127\.0\.0\.1:\d+: alerts and silences API answer/m);
    expect(r.stdout).toMatch(/^dead-am\s+alertmanager\s+FAIL\s+Alertmanager at http:\/\/127\.0\.0\.1:\d+ did not answer \(ECONNREFUSED\)/m);
    expect(r.stdout).toMatch(/check clusters\[\]\.alertmanager\.url for "dead-am"/);
  }, 90_000);
});
