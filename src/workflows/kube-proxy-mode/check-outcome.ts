// Three outcomes for every verification check (issue #12 item 3): pass, fail (roll back) or inconclusive (the run
// pauses for an operator). A check a cluster lists in `reportOnly` is shown and audited but neither fails nor pauses.

export type CheckOutcome = 'pass' | 'fail' | 'inconclusive';

export interface CheckResult {
  /** 'log', 'proxyMode', 'ipvs', 'ping', 'tcp', 'dns', 'cleanup', 'sync', 'prometheus:<name>', 'alerts'. */
  name: string;
  outcome: CheckOutcome;
  /** One line for people: what was seen. */
  detail: string;
  /** The node, for per-node checks. */
  node?: string;
}

/** Whether `checkName` is report-only on this cluster (`reportOnly` in its config; a config, deps or undefined). */
export function isReportOnly(cluster: { reportOnly?: readonly string[] } | undefined, checkName: string): boolean {
  return cluster?.reportOnly?.includes(checkName) ?? false;
}

/**
 * The verdict over a set of results, report-only checks left out: any fail → 'fail'; else any inconclusive →
 * 'inconclusive'; else 'pass'.
 */
export function overallOutcome(results: readonly CheckResult[], cluster?: { reportOnly?: readonly string[] }): CheckOutcome {
  const counted = results.filter((r) => !isReportOnly(cluster, r.name));
  if (counted.some((r) => r.outcome === 'fail')) return 'fail';
  return counted.some((r) => r.outcome === 'inconclusive') ? 'inconclusive' : 'pass';
}
