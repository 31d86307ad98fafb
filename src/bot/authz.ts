// Who may approve: the cluster's approver users, plus members of its approver user groups resolved at click time.
// Workspaces without user groups (free plan) or tokens without the scope fall back to the user list, logged.
import type { ClusterConfig } from '../config.js';
import type { Logger } from '../workflows/engine/ports.js';

/** The one Slack call this needs; a WebClient satisfies it. */
export interface UsergroupsApi {
  usergroups: { users: { list(args: { usergroup: string }): Promise<{ users?: string[] }> } };
}

export const FALLBACK_ERRORS = new Set(['paid_teams_only', 'missing_scope', 'not_allowed_token_type', 'no_such_subteam', 'feature_not_enabled']);

export interface ApproverDecision { allowed: boolean; via?: 'user' | 'usergroup'; fellBack?: string }

function slackErrorCode(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } })?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

export class Approvers {
  constructor(private readonly api: UsergroupsApi, private readonly logger: Logger) {}

  async check(user: string, cluster: ClusterConfig): Promise<ApproverDecision> {
    if (cluster.approvers.users.includes(user)) return { allowed: true, via: 'user' };
    let fellBack: string | undefined;
    for (const group of cluster.approvers.usergroups) {
      try {
        const res = await this.api.usergroups.users.list({ usergroup: group });
        if (res.users?.includes(user)) return { allowed: true, via: 'usergroup' };
      } catch (err) {
        const code = slackErrorCode(err);
        if (code && FALLBACK_ERRORS.has(code)) {
          fellBack = code;
          this.logger.warn({ cluster: cluster.name, usergroup: group, slackError: code }, 'user groups unavailable; using the approver user list only');
          continue;
        }
        throw err;
      }
    }
    return fellBack ? { allowed: false, fellBack } : { allowed: false };
  }
}

export function channelAllowed(cluster: ClusterConfig, channel: string): boolean {
  return cluster.channels.length === 0 || cluster.channels.includes(channel);
}

/** Reject and Cancel: the requester may withdraw their own run, an approver of the cluster may stop anyone's. */
export async function requesterOrApprover(approvers: Approvers, user: string, requester: string, cluster: ClusterConfig): Promise<boolean> {
  return requester === user || (await approvers.check(user, cluster)).allowed;
}
