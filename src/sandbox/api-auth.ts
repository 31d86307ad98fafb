// Bearer-token authentication and RBAC-like authorization (fixtures authz/*): an admin token may do anything; a
// restricted token is judged by its rules — allow rules grant, deny rules (checked first) take away.
import { ApiError } from './api-status.js';

export interface AccessRule {
  /** '' = core group; default ['*'] */
  apiGroups?: string[];
  /** plural names, 'pods/log' for subresources, '*' for all */
  resources: string[];
  /** get, list, watch, create, update, patch, delete, deletecollection or '*' */
  verbs: string[];
  /** omit = every namespace and cluster scope */
  namespaces?: string[];
  resourceNames?: string[];
  /** default 'allow' */
  effect?: 'allow' | 'deny';
}
export interface RestrictedToken { user?: string; rules: AccessRule[] }
export interface TokenRules {
  admin: string | string[];
  restricted?: Record<string, AccessRule[] | RestrictedToken>;
  /**
   * A request with no Authorization header at all. kubectl never sends a bearer token over plain http
   * (kubernetes/kubectl#744), so by default such requests act as admin, like kube-apiserver's old insecure port;
   * 'reject' answers 401. A wrong token is always 401.
   */
  anonymous?: 'admin' | 'reject';
}

export interface Identity { user: string; admin: boolean; rules: AccessRule[]; groups: string[] }
export interface Attributes { verb: string; group: string; resource: string; subresource?: string; namespace?: string; name?: string }

export const DEFAULT_RESTRICTED_USER = 'system:serviceaccount:kube-system:ipvs-bot-readonly';
const ADMIN: Identity = { user: 'kubernetes-admin', admin: true, rules: [], groups: ['system:masters', 'system:authenticated'] };

/** undefined tokens = authentication off (every caller is admin). Throws 401 for a missing or unknown token. */
export function authenticate(tokens: TokenRules | undefined, authorization: string | undefined): Identity {
  if (!tokens) return ADMIN;
  if (authorization === undefined && tokens.anonymous !== 'reject') return ADMIN;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const tok = m?.[1];
  if (!tok) throw unauthorized();
  const admins = Array.isArray(tokens.admin) ? tokens.admin : [tokens.admin];
  if (admins.includes(tok)) return ADMIN;
  const r = tokens.restricted?.[tok];
  if (!r) throw unauthorized();
  const spec = Array.isArray(r) ? { rules: r } : r;
  const user = spec.user ?? DEFAULT_RESTRICTED_USER;
  const ns = /^system:serviceaccount:([^:]+):/.exec(user)?.[1];
  return { user, admin: false, rules: spec.rules,
    groups: ns ? ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] : ['system:authenticated'] };
}

const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');
const has = (list: string[] | undefined, v: string) => list === undefined || list.includes('*') || list.includes(v);

function matches(rule: AccessRule, a: Attributes): boolean {
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  if (!has(rule.apiGroups ?? ['*'], a.group)) return false;
  if (!rule.resources.includes('*') && !rule.resources.includes(res)) return false;
  if (!has(rule.verbs, a.verb)) return false;
  if (rule.namespaces && (a.namespace === undefined || !has(rule.namespaces, a.namespace))) return false;
  if (rule.resourceNames && (a.name === undefined || !rule.resourceNames.includes(a.name))) return false;
  return true;
}

// Every authenticated user may ask about itself (system:basic-user), as in a real cluster.
const SELF = new Set(['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'selfsubjectreviews']);

export function authorize(id: Identity, a: Attributes): { allowed: boolean; reason?: string } {
  if (id.admin) return { allowed: true };
  if (SELF.has(a.resource) && a.verb === 'create') return { allowed: true };
  if (id.rules.some((r) => r.effect === 'deny' && matches(r, a))) return { allowed: false };
  if (!id.rules.some((r) => r.effect !== 'deny' && matches(r, a))) return { allowed: false };
  const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(id.user);
  return { allowed: true,
    reason: sa ? `RBAC: allowed by RoleBinding "${sa[2]}/${sa[1]}" of Role "${sa[2]}" to ServiceAccount "${sa[2]}/${sa[1]}"` : 'RBAC: allowed' };
}

/** POST selfsubjectaccessreviews: 201 with status.allowed (denied → only `allowed: false`). */
export function selfSubjectAccessReview(id: Identity, body: unknown): Record<string, unknown> {
  const spec = (body as { spec?: { resourceAttributes?: Record<string, string>; nonResourceAttributes?: Record<string, string> } } | null)?.spec;
  const ra = spec?.resourceAttributes;
  if (!ra && !spec?.nonResourceAttributes) {
    const msg = 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified';
    throw new ApiError(422, 'Invalid', `.authorization.k8s.io "" is invalid: spec.resourceAttributes: ${msg}`,
      { group: 'authorization.k8s.io', causes: [{ reason: 'FieldValueInvalid', message: msg, field: 'spec.resourceAttributes' }] });
  }
  const decision = ra
    ? authorize(id, { verb: ra.verb ?? '', group: ra.group ?? '', resource: ra.resource ?? '', ...(ra.subresource ? { subresource: ra.subresource } : {}),
      ...(ra.namespace ? { namespace: ra.namespace } : {}), ...(ra.name ? { name: ra.name } : {}) })
    : { allowed: id.admin };
  return { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec,
    status: decision.allowed ? { allowed: true, ...(decision.reason ? { reason: decision.reason } : {}) } : { allowed: false } };
}

export function selfSubjectReview(id: Identity): Record<string, unknown> {
  return { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    status: { userInfo: { username: id.user, groups: id.groups } } };
}
