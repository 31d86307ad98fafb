// What the gate steps get from the cluster's configuration (per run, through KpmDeps.gates).
import type { ClusterConfig } from '../../../config.js';
import type { AlertmanagerGate, MaintenanceWindow, PrometheusGate } from './gate-config.js';

export interface GateMetrics { gateOutcome(cluster: string, gate: string, outcome: string): void }

export interface GateDeps {
  prometheus?: PrometheusGate;
  window?: MaintenanceWindow;
  alertmanager?: AlertmanagerGate;
  /** Check names whose fail / inconclusive is reported, not acted on (contract A: `prometheus:<name>`, `alerts`). */
  reportOnly: readonly string[];
  metrics?: GateMetrics;
}

export function gateDepsOf(cfg: ClusterConfig, metrics?: GateMetrics): { gates?: GateDeps } {
  if (!cfg.prometheus && !cfg.window && !cfg.alertmanager) return {};
  // reportOnly is h-decide's config key (contract A): read defensively until its config part is merged.
  const reportOnly = (cfg as { reportOnly?: readonly string[] }).reportOnly ?? [];
  return {
    gates: {
      ...(cfg.prometheus ? { prometheus: cfg.prometheus } : {}),
      ...(cfg.window ? { window: cfg.window } : {}),
      ...(cfg.alertmanager ? { alertmanager: cfg.alertmanager } : {}),
      reportOnly,
      ...(metrics ? { metrics } : {}),
    },
  };
}
