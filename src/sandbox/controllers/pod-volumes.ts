// What the kubelet's volume manager checks before a container starts, for the one volume kind the bot's Jobs use:
// a ConfigMap volume needs its ConfigMap (unless `optional`), and a file under its mount exists only for a key of
// that ConfigMap (or a listed item).
import type { ObjectStore } from '../object-store.js';
import type { Obj } from './context.js';

interface ConfigMapVolume { name: string; configMap?: { name?: string; optional?: boolean; items?: { key: string; path: string }[] } }
interface Mount { name: string; mountPath: string }

const volumesOf = (p: Obj) => (p.spec?.volumes ?? []) as ConfigMapVolume[];

/** The first non-optional ConfigMap volume whose ConfigMap does not exist in the pod's namespace. */
export function missingConfigMap(store: ObjectStore, p: Obj): { volume: string; configMap: string } | undefined {
  for (const v of volumesOf(p)) {
    const cm = v.configMap;
    if (!cm?.name || cm.optional) continue;
    if (!store.peek('configmaps', p.metadata.namespace, cm.name)) return { volume: v.name, configMap: cm.name };
  }
  return undefined;
}

/**
 * Whether `path` is a file the container sees through one of its ConfigMap mounts: true / false, or undefined when
 * no ConfigMap volume is mounted above it (the image's own file system, which the sandbox does not model).
 */
export function configMapFileExists(store: ObjectStore, p: Obj, mounts: Mount[], path: string): boolean | undefined {
  for (const m of mounts) {
    const dir = m.mountPath.replace(/\/+$/, '');
    if (!path.startsWith(`${dir}/`)) continue;
    const cm = volumesOf(p).find((v) => v.name === m.name)?.configMap;
    if (!cm?.name) continue;
    const rel = path.slice(dir.length + 1);
    const data = (store.peek('configmaps', p.metadata.namespace, cm.name)?.data ?? {}) as Record<string, string>;
    const key = cm.items ? cm.items.find((i) => i.path === rel)?.key : rel;
    return key !== undefined && typeof data[key] === 'string';
  }
  return undefined;
}
