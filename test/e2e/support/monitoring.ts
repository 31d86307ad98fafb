// The real Prometheus (Debian `prometheus`, 2.42) and Alertmanager (`prometheus-alertmanager`, 0.25) for the gate
// tests: started on free loopback ports with storage under os.tmpdir(), killed by stop(). Prometheus scrapes a small
// HTTP target whose gauge the test sets (so a query can be made to breach). Without the binaries the suite is
// skipped, unless IPVS_BOT_HOST_TESTS=required (CI), where it fails (the real-host tier's rule).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { freePort } from '../../support/e2e-harness.js';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

export function monitoringUnavailable(): string | undefined {
  const missing = [PROMETHEUS_BIN, ALERTMANAGER_BIN].filter((b) => !existsSync(b));
  return missing.length ? `missing ${missing.join(', ')} (apt-get install prometheus prometheus-alertmanager)` : undefined;
}

export function describeMonitoring(name: string, body: () => void): void {
  const why = monitoringUnavailable();
  if (!why) { describe(name, body); return; }
  if (process.env.IPVS_BOT_HOST_TESTS === 'required') {
    describe(name, () => { it('has Prometheus and Alertmanager (IPVS_BOT_HOST_TESTS=required)', () => { throw new Error(why); }); });
    return;
  }
  console.warn(`[gates] ${name}: skipped: ${why}`);
  describe.skipIf(true)(`${name} (skipped: ${why})`, body);
}

async function waitReady(url: string, proc: ChildProcess, what: string, log: () => string): Promise<void> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`${what} exited (${proc.exitCode}): ${log().slice(-2000)}`);
    try { if ((await fetch(`${url}/-/ready`)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready within 60 s: ${log().slice(-2000)}`);
}

function start(bin: string, args: string[]): { proc: ChildProcess; log: () => string } {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
  proc.stderr?.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
  return { proc, log: () => out };
}

async function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((resolve) => { proc.once('exit', () => resolve()); proc.kill('SIGTERM'); setTimeout(() => proc.kill('SIGKILL'), 5_000).unref(); });
}

export class Monitoring {
  /** The gauge the scrape target serves: test_error_ratio{service="web"}. */
  errorRatio = 0;
  private constructor(readonly dir: string, readonly prometheusUrl: string, readonly alertmanagerUrl: string,
    private readonly procs: ChildProcess[], private readonly target: Server, private readonly baseConfig: string) {}

  /**
   * Adds a scrape job `kube-proxy` for sandbox nodes' kube-proxy /metrics (Sandbox.nodeEndpointsUrl, one target per
   * node with `node` and `instance` = the node's name, the path relabelled to /nodes/<node>/metrics), reloads
   * Prometheus' config (SIGHUP) and resolves once every target was scraped up.
   */
  async scrapeKubeProxy(endpointsUrl: string, nodes: string[]): Promise<void> {
    const hostPort = new URL(endpointsUrl).host;
    const job = ['  - job_name: kube-proxy', '    static_configs:',
      ...nodes.flatMap((n) => [`      - targets: ['${hostPort}']`, `        labels: { node: '${n}' }`]),
      '    relabel_configs:',
      '      - { source_labels: [node], target_label: __metrics_path__, regex: "(.+)", replacement: "/nodes/$1/metrics" }',
      '      - { source_labels: [node], target_label: instance }', ''].join('\n');
    writeFileSync(join(this.dir, 'prometheus.yml'), `${this.baseConfig}${job}`);
    this.procs[0]!.kill('SIGHUP');
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      const r = await fetch(`${this.prometheusUrl}/api/v1/query?query=${encodeURIComponent('up{job="kube-proxy"}')}`).then((x) => x.json()) as { data?: { result?: { value: [number, string] }[] } };
      const up = (r.data?.result ?? []).filter((s) => s.value[1] === '1').length;
      if (up === nodes.length) return;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`prometheus did not scrape all ${nodes.length} kube-proxy targets`);
  }

  static async start(): Promise<Monitoring> {
    const dir = mkdtempSync(join(tmpdir(), 'ipvs-bot-monitoring-'));
    const procs: ChildProcess[] = [];
    let target: Server | undefined;
    try {
      const holder: { m?: Monitoring } = {};
      target = createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(`# HELP test_error_ratio Errors per request.\n# TYPE test_error_ratio gauge\ntest_error_ratio{service="web"} ${holder.m?.errorRatio ?? 0}\n`);
      });
      await new Promise<void>((r) => target!.listen(0, '127.0.0.1', r));
      const targetPort = (target.address() as { port: number }).port;
      const [pPort, aPort, aCluster] = [await freePort(), await freePort(), await freePort()];
      const baseConfig = `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: web\n    static_configs:\n      - targets: ['127.0.0.1:${targetPort}']\n`;
      writeFileSync(join(dir, 'prometheus.yml'), baseConfig);
      writeFileSync(join(dir, 'alertmanager.yml'), `route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n`);
      const p = start(PROMETHEUS_BIN, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'prom-data')}`,
        `--web.listen-address=127.0.0.1:${pPort}`]);
      procs.push(p.proc);
      const a = start(ALERTMANAGER_BIN, [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am-data')}`,
        `--web.listen-address=127.0.0.1:${aPort}`, `--cluster.listen-address=127.0.0.1:${aCluster}`]);
      procs.push(a.proc);
      const m = new Monitoring(dir, `http://127.0.0.1:${pPort}`, `http://127.0.0.1:${aPort}`, procs, target, baseConfig);
      holder.m = m;
      await waitReady(m.prometheusUrl, p.proc, 'prometheus', p.log);
      await waitReady(m.alertmanagerUrl, a.proc, 'alertmanager', a.log);
      return m;
    } catch (e) {
      for (const p of procs) await kill(p);
      target?.close();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Resolves once Prometheus has scraped the target at least once with the current value. */
  async scraped(): Promise<void> {
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      const r = await fetch(`${this.prometheusUrl}/api/v1/query?query=${encodeURIComponent('test_error_ratio')}`).then((x) => x.json()) as { data?: { result?: { value: [number, string] }[] } };
      if (Number(r.data?.result?.[0]?.value[1]) === this.errorRatio) return;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error('prometheus did not scrape the test target');
  }

  async postAlert(labels: Record<string, string>, endsAt: Date): Promise<void> {
    const res = await fetch(`${this.alertmanagerUrl}/api/v2/alerts`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ labels, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: endsAt.toISOString() }]),
    });
    if (!res.ok) throw new Error(`POST /api/v2/alerts: ${res.status} ${await res.text()}`);
  }

  async silences(): Promise<{ id: string; comment: string; createdBy: string; status: { state: string }; matchers: { name: string; value: string }[] }[]> {
    return (await fetch(`${this.alertmanagerUrl}/api/v2/silences`)).json() as never;
  }

  async stop(): Promise<void> {
    for (const p of this.procs) await kill(p);
    await new Promise<void>((r) => this.target.close(() => r()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
