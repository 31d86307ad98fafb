// The mark ipvs-bot leaves on every kube-proxy ConfigMap/DaemonSet write (annotation `ipvs-bot/last-write`), in the
// same request as the change. After a kill -9 between the write and its record, the restarted run recognises its own
// write by it instead of taking it for drift (issue #14 item 3), and a later run's snapshot finds the update strategy
// the bot replaced. DaemonSet: metadata.generation moves by exactly 1 per spec change and not for metadata or status
// (kubernetes/kubernetes pkg/registry/apps/daemonset/strategy.go PrepareForUpdate), so `base + writes` is what the
// live generation must be when nobody else changed the spec. ConfigMaps have no generation: a hash of the data.
import { createHash } from 'node:crypto';

export const WRITE_MARK_ANNOTATION = 'ipvs-bot/last-write';

/** Who writes: the run and its step (absent for writes outside a run). */
export interface WriteBy { run: string; step: string }

export interface DaemonSetMark {
  run: string;
  step: string;
  /** Generation before this run's first spec write. */
  base: number;
  /** Spec writes of this run so far. */
  writes: number;
  /** The update strategy the bot replaced by OnDelete (only while the bot's OnDelete stands). */
  original?: { type: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: Record<string, unknown> };
}

export interface ConfigMapMark {
  run: string;
  step: string;
  /** resourceVersion the write was made from. */
  from: string;
  /** sha256 of config.conf before the write. */
  fromSha: string;
  /** sha256 of the whole data map after the write. */
  dataSha: string;
}

export function parseMark<T>(annotations: Record<string, string> | undefined): T | undefined {
  const text = annotations?.[WRITE_MARK_ANNOTATION];
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && typeof (v as { run?: unknown }).run === 'string' ? v as T : undefined;
  } catch { return undefined; }
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Order-independent hash of a ConfigMap's data. */
export function dataSha(data: Record<string, string>): string {
  return sha256Text(JSON.stringify(Object.keys(data).sort().map((k) => [k, data[k]])));
}

/** The next mark of a DaemonSet spec write by `by`, given the mark and generation it has now. */
export function nextDaemonSetMark(current: DaemonSetMark | undefined, generation: number, by: WriteBy | undefined,
  original: DaemonSetMark['original'] | undefined): DaemonSetMark {
  const run = by?.run ?? '';
  const same = current !== undefined && run !== '' && current.run === run && generation === current.base + current.writes;
  return {
    run, step: by?.step ?? '',
    base: same ? current.base : generation,
    writes: same ? current.writes + 1 : 1,
    ...(original ? { original } : {}),
  };
}

/** JSON-patch ops that set the mark (annotations may not exist yet). */
export function markOps(annotations: Record<string, string> | undefined, mark: object): { op: 'add'; path: string; value: unknown }[] {
  const value = JSON.stringify(mark);
  return annotations
    ? [{ op: 'add', path: `/metadata/annotations/${WRITE_MARK_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1')}`, value }]
    : [{ op: 'add', path: '/metadata/annotations', value: { [WRITE_MARK_ANNOTATION]: value } }];
}
