// What a plan records about its cluster's gates, for the plan card (the steps read the live config).
import type { ClusterConfig } from '../../../config.js';
import { selectorText } from './matchers.js';
import { describeWindow } from './window.js';

export interface PlanGates {
  window?: string;
  blockingAlerts?: string[];
  silences?: string;
  prometheus?: { name: string; query: string; threshold: string }[];
}

export function planGatesOf(cfg: ClusterConfig): PlanGates | undefined {
  const g: PlanGates = {};
  if (cfg.window) g.window = describeWindow(cfg.window);
  if (cfg.alertmanager?.block.length) g.blockingAlerts = cfg.alertmanager.block.map((b) => b.text);
  if (cfg.alertmanager?.silence.length) g.silences = selectorText(cfg.alertmanager.silence);
  if (cfg.prometheus) {
    g.prometheus = cfg.prometheus.checks.map((c) => ({
      name: c.name, query: c.query,
      threshold: `${c.max !== undefined ? `≤ ${c.max}` : `≥ ${c.min}`}${c.forMs ? ` (breach for ${c.forMs / 1000}s fails)` : ''}`,
    }));
  }
  return Object.keys(g).length ? g : undefined;
}
