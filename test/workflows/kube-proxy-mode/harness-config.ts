// The cluster entry of the bot's config used by these tests (as loadConfig would produce it).
import type { ClusterConfig } from '../../../src/config.js';

export const CLUSTER: ClusterConfig = {
  name: 'cluster-a', production: false, approvers: { users: ['U0APPROVER', 'U0SECOND'], usergroups: [] },
  requiredApprovals: 1, approvalTtlMs: 3_600_000, channels: [], jobNamespace: 'ipvs-bot-jobs',
};
