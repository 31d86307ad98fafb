// How many kube-proxy minor releases a cluster's current mode has left (issue #13). Upstream's plan, as in
// advice.ts: KEP-5495 (kubernetes/enhancements #6120) deprecates IPVS in 1.35, adds gate KubeProxyIPVS in 1.37,
// turns it off by default in 1.40 and removes the proxier in 1.43; KEP-5343 makes nftables the default in 1.40.
import type { ProxyMode } from '../kube-proxy-mode/api.js';
import { IPVS_DEFAULT_OFF, IPVS_REMOVED, NFTABLES_DEFAULT } from '../kube-proxy-mode/advice.js';
import type { MajorMinor } from '../kube-proxy-mode/versions.js';

export interface ModeDeadline {
  /** Minor releases until the event (0 = this version already hits it); undefined = no deadline. */
  releasesLeft?: number;
  /** The release it happens in ("1.40"). */
  at?: string;
  /** What happens then, for the person reading the row. */
  what: string;
}

const minorsTo = (v: MajorMinor, to: { major: number; minor: number }) => (to.major - v.major) * 100 + (to.minor - v.minor);
const at = (m: { major: number; minor: number }) => `${m.major}.${m.minor}`;

/**
 * ipvs without the gate stops at 1.40 (kube-proxy exits), with `KubeProxyIPVS: true` at 1.43 (code removed);
 * an unset mode silently becomes nftables at 1.40; explicit iptables and nftables have no deadline upstream.
 */
export function modeDeadline(mode: ProxyMode | undefined, v: MajorMinor | undefined, o: { ipvsGate?: boolean; modeUnset?: boolean } = {}): ModeDeadline {
  if (mode === undefined) return { what: 'mode unknown' };
  if (mode === 'ipvs') {
    if (!v) return { what: 'IPVS: version unknown (off by default from 1.40, removed in 1.43)' };
    const gateOn = o.ipvsGate === true;
    const stop = gateOn ? IPVS_REMOVED : IPVS_DEFAULT_OFF;
    const left = Math.max(0, minorsTo(v, stop));
    if (left === 0 && !gateOn && minorsTo(v, IPVS_REMOVED) > 0) {
      return { releasesLeft: 0, at: at(stop), what: `IPVS is off by default since 1.40: kube-proxy needs featureGates KubeProxyIPVS: true, and the code is removed in 1.43` };
    }
    return {
      releasesLeft: left, at: at(stop),
      what: gateOn ? `IPVS proxier removed in ${at(IPVS_REMOVED)}` : `IPVS off by default in ${at(IPVS_DEFAULT_OFF)} (kube-proxy exits without the KubeProxyIPVS gate)`,
    };
  }
  if (mode === 'iptables' && o.modeUnset) {
    if (!v) return { what: 'mode unset: becomes nftables from 1.40' };
    return { releasesLeft: Math.max(0, minorsTo(v, NFTABLES_DEFAULT)), at: at(NFTABLES_DEFAULT), what: `mode unset: kube-proxy defaults to nftables from ${at(NFTABLES_DEFAULT)}` };
  }
  return { what: 'no upstream deadline' };
}
