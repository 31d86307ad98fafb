// `--cleanup kube-proxy` as an init container of kube-proxy's own pod (the Gardener pattern, gardener PR #2238;
// domain §6.6): `kube-proxy --cleanup` then runs after the old pod is gone and before the new kube-proxy starts,
// so neither the old proxier re-creates what it removed nor does it delete the new mode's first rules. It uses the
// DaemonSet's own image and the main container's host mounts (xtables lock, /lib/modules), like kubeadm's manifest.
export const CLEANUP_INIT_NAME = 'ipvs-bot-cleanup';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any;

/** The init container for a DaemonSet pod template spec (`spec.template.spec`). */
export function cleanupInitContainer(podSpec: Obj): Record<string, unknown> {
  const main = podSpec?.containers?.[0] ?? {};
  const mounts = (Array.isArray(main.volumeMounts) ? main.volumeMounts : [])
    .filter((m: Obj) => m?.mountPath === '/run/xtables.lock' || m?.mountPath === '/lib/modules')
    .map((m: Obj) => ({ ...m }));
  return {
    name: CLEANUP_INIT_NAME,
    image: main.image,
    imagePullPolicy: main.imagePullPolicy ?? 'IfNotPresent',
    command: ['/usr/local/bin/kube-proxy', '--cleanup', '--v=2'],
    securityContext: { privileged: true },
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
  };
}

/** initContainers with ours added (`on`) or removed; undefined when nothing changes. */
export function withCleanupInit(podSpec: Obj, on: boolean): Obj[] | undefined {
  const current: Obj[] = Array.isArray(podSpec?.initContainers) ? podSpec.initContainers : [];
  const has = current.some((c) => c?.name === CLEANUP_INIT_NAME);
  if (on === has) return undefined;
  return on ? [...current, cleanupInitContainer(podSpec)] : current.filter((c) => c?.name !== CLEANUP_INIT_NAME);
}
