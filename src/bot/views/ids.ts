// Action and callback ids: the one table listeners and views share.
export const ACTION = {
  approve: 'ipvs_approve',
  reject: 'ipvs_reject',
  cancel: 'ipvs_cancel',
  waveApprove: 'ipvs_wave_approve',
} as const;

export const CALLBACK = {
  approveModal: 'ipvs_approve_modal',
  rejectModal: 'ipvs_reject_modal',
  waveApproveModal: 'ipvs_wave_approve_modal',
} as const;

export const INPUT = {
  clusterName: { block: 'cluster_name', action: 'value' },
  reason: { block: 'reject_reason', action: 'value' },
} as const;

/** What a button or modal carries: the run and the plan digest the person saw. */
export interface RunRef { runId: string; digest: string }
