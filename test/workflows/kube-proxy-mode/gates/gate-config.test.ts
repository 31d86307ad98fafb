// The gate keys of ipvs-bot.yaml through the real loadConfig, and the window arithmetic (Intl time zones; the
// Europe/Berlin DST switch of 29 March 2026 at 02:00 CET is from the IANA tz database, zone "Europe/Berlin").
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../../src/config.js';
import { describeInstant, isOpen, nextOpening } from '../../../../src/workflows/kube-proxy-mode/gates/window.js';
import { parseSelector } from '../../../../src/workflows/kube-proxy-mode/gates/matchers.js';
import { judge } from '../../../../src/workflows/kube-proxy-mode/gates/prometheus.js';

const ENV = { SLACK_BOT_TOKEN: 'xoxb-t', SLACK_SIGNING_SECRET: 's' };
const cluster = (extra: string) => `clusters:\n  - name: a\n    approvers: { users: [U0ALICE] }\n${extra}`;
const problems = (text: string): string[] => {
  try { loadConfig(ENV, { text }); return []; } catch (e) { return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`); }
};

describe('gate config keys', () => {
  it('parses prometheus, window and alertmanager', () => {
    const c = loadConfig(ENV, { text: cluster(`    prometheus:
      url: http://prom:9090/
      checks: [{ name: errors, query: 'sum(rate(x[1m]))', max: 0.01, for: 2m }]
    window: { days: [tue, wed], hours: "09:00-17:00", timeZone: Europe/Berlin }
    alertmanager:
      url: http://am:9093
      block: ['{severity="critical", cluster="a"}']
      silence: ['alertname="KubeProxyDown"', 'instance=~"{{node}}:.*"']
      silenceFor: 20m
`) }).clusters[0]!;
    expect(c.prometheus).toEqual({ url: 'http://prom:9090', checks: [{ name: 'errors', query: 'sum(rate(x[1m]))', max: 0.01, forMs: 120_000 }] });
    expect(c.window).toMatchObject({ days: ['tue', 'wed'], startMin: 540, endMin: 1020, timeZone: 'Europe/Berlin' });
    expect(c.alertmanager?.block[0]!.matchers).toEqual([
      { name: 'severity', value: 'critical', isRegex: false, isEqual: true }, { name: 'cluster', value: 'a', isRegex: false, isEqual: true }]);
    expect(c.alertmanager?.silenceForMs).toBe(1_200_000);
  });

  it('names every bad gate key with its path', () => {
    const p = problems(cluster(`    prometheus:
      url: ftp://x
      checks: [{ name: a, query: up, max: 1, min: 0 }, { name: b, query: up }]
    window: { days: [monday], hours: "9-17", timeZone: Mars/Olympus }
    alertmanager: { url: http://am, block: ['alertname~"x"'] }
`));
    expect(p).toEqual(expect.arrayContaining([
      'clusters[0].prometheus.url: must be an http(s) URL',
      'clusters[0].prometheus.checks[0]: must set exactly one of max or min',
      'clusters[0].prometheus.checks[1]: must set exactly one of max or min',
      expect.stringMatching(/^clusters\[0\]\.window\.days\[0\]: must be one of mon/),
      expect.stringMatching(/^clusters\[0\]\.alertmanager\.block\[0\]: "alertname~"x"" is not a matcher/),
    ]));
    expect(problems(cluster('    window: { hours: "9-17", timeZone: Mars/Olympus }\n'))).toEqual([
      'clusters[0].window.hours: must be "HH:MM-HH:MM", e.g. "09:00-17:00"',
      'clusters[0].window.timeZone: "Mars/Olympus" is not an IANA time zone (e.g. "Europe/Berlin")',
    ]);
  });

  it('parses matchers like Alertmanager does (quotes, escapes, regex)', () => {
    expect(parseSelector('a="x,y", b!~"v\\"w"')).toEqual([
      { name: 'a', value: 'x,y', isRegex: false, isEqual: true }, { name: 'b', value: 'v"w', isRegex: true, isEqual: false }]);
    expect(parseSelector('a=~"("')).toMatch(/not a valid regular expression/);
  });
});

describe('maintenance window', () => {
  const w = { days: ['tue'] as const, startMin: 9 * 60, endMin: 17 * 60, timeZone: 'Europe/Berlin' };
  it('is open by local wall-clock time and finds the next opening', () => {
    // Tue 2026-12-08 08:30 UTC = 09:30 CET.
    expect(isOpen(w, Date.parse('2026-12-08T08:30:00Z'))).toBe(true);
    expect(isOpen(w, Date.parse('2026-12-08T16:00:00Z'))).toBe(false); // 17:00 CET: end is exclusive
    const next = nextOpening(w, Date.parse('2026-12-07T10:00:00Z'))!;
    expect(new Date(next).toISOString()).toBe('2026-12-08T08:00:00.000Z');
    expect(describeInstant(next, w.timeZone)).toBe('Tue 09:00 Europe/Berlin');
  });
  it('follows the DST switch and windows over midnight', () => {
    // Tue 31 March 2026 is after the switch to CEST (UTC+2): 09:00 local is 07:00 UTC.
    expect(new Date(nextOpening(w, Date.parse('2026-03-29T12:00:00Z'))!).toISOString()).toBe('2026-03-31T07:00:00.000Z');
    const night = { days: ['fri'] as const, startMin: 22 * 60, endMin: 6 * 60, timeZone: 'UTC' };
    expect(isOpen(night, Date.parse('2026-12-12T03:00:00Z'))).toBe(true);  // Sat 03:00 belongs to Friday's window
    expect(isOpen(night, Date.parse('2026-12-13T03:00:00Z'))).toBe(false); // Sun 03:00 does not
  });
});

describe('SLO judgement', () => {
  const check = { name: 'err', query: 'q', max: 0.1, forMs: 2_000 };
  const series = (vals: string[]) => [{ metric: { job: 'x' }, values: vals.map((v, i) => [1000 + i, v] as [number, string]) }];
  it('fails only when the breach lasts `for`, is inconclusive on nothing to judge', () => {
    expect(judge(check, series(['0', '0.5', '0.5', '0'])).outcome).toBe('pass'); // 1 s of breach < 2 s
    expect(judge(check, series(['0.5', '0.5', '0.5'])).outcome).toBe('fail');
    expect(judge(check, series(['NaN', 'NaN'])).outcome).toBe('inconclusive');
    expect(judge(check, []).outcome).toBe('inconclusive');
    expect(judge(check, 'Prometheus did not answer').outcome).toBe('inconclusive');
    expect(judge({ name: 'up', query: 'up', min: 1, forMs: 0 }, series(['1', '0'])).outcome).toBe('fail');
  });
});
