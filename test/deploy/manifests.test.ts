import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { NOT_GRANTED, REQUIRED_PERMISSIONS, describePermission, requiredPermissions, type RequiredPermission } from '../../src/k8s/required-permissions.js';
import { deriveCalls, type DerivedCall } from './adapter-calls.js';
import { allows, excess, grantsFor } from './rbac-check.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DEPLOY = join(ROOT, 'deploy');
const ADAPTER = join(ROOT, 'src', 'k8s', 'k8s-cluster.ts');
const SA = { namespace: 'ipvs-bot', name: 'ipvs-bot' };
const JOBS_NS = 'ipvs-bot-jobs';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- manifests are untyped YAML

function loadDir(): { file: string; doc: Obj }[] {
  const out: { file: string; doc: Obj }[] = [];
  for (const file of readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8'))) {
      if ('errors' in d && d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
      const doc = d.toJS() as Obj | null;
      if (doc) out.push({ file, doc });
    }
  }
  return out;
}

const all = loadDir();
const kustomization = all.find((d) => d.file === 'kustomization.yaml')!.doc as { resources: string[] };
// What `kubectl apply -k deploy/` applies.
const applied = all.filter((d) => kustomization.resources.includes(d.file)).map((d) => d.doc);
const one = (kind: string, name?: string) => {
  const found = applied.filter((d) => d.kind === kind && (name === undefined || d.metadata?.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
};

describe('deploy/', () => {
  it('every file parses; the kustomization lists every manifest except the Secret example, which it must not apply', () => {
    const files = readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect(kustomization.resources.sort()).toEqual(files.filter((f) => f !== 'secret.example.yaml').sort());
    for (const r of kustomization.resources) expect(existsSync(join(DEPLOY, r))).toBe(true);
    for (const d of applied) {
      expect(d.apiVersion, JSON.stringify(d.metadata)).toBeTruthy();
      expect(d.kind).toBeTruthy();
      expect(d.metadata?.name).toBeTruthy();
    }
    expect(applied.some((d) => d.kind === 'Secret')).toBe(false);
    expect(kustomization).not.toHaveProperty('namespace'); // would move the kube-system Role
  });

  it('kubectl kustomize renders exactly the objects the kustomization lists, with the image set', () => {
    const rendered = parseAllDocuments(execFileSync('kubectl', ['kustomize', DEPLOY], { encoding: 'utf8' })).map((d) => d.toJS() as Obj);
    const key = (d: Obj) => `${d.kind}/${d.metadata?.namespace ?? ''}/${d.metadata?.name}`;
    expect(rendered.map(key).sort()).toEqual(applied.map(key).sort());
    const image = kustomization as unknown as { images: { name: string; newName: string; newTag: string }[] };
    const dep = rendered.find((d) => d.kind === 'Deployment')!;
    expect(dep.spec.template.spec.containers[0].image).toBe(`${image.images[0]!.newName}:${image.images[0]!.newTag}`);
  });

  it('has the bot namespace and a Job namespace that allows privileged pods', () => {
    one('Namespace', 'ipvs-bot');
    expect(one('Namespace', JOBS_NS).metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(one('ServiceAccount', 'ipvs-bot').metadata.namespace).toBe('ipvs-bot');
  });

  it('runs one non-root, read-only, capability-free replica with Recreate, a PVC, probes, resources and Slack secrets', () => {
    const dep = one('Deployment', 'ipvs-bot');
    expect(dep.spec.replicas).toBe(1);
    expect(dep.spec.strategy.type).toBe('Recreate');
    const pod = dep.spec.template.spec;
    expect(pod.serviceAccountName).toBe('ipvs-bot');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.resources.requests.memory).toBeTruthy();
    expect(c.resources.limits.memory).toBeTruthy();
    const env = new Map<string, Obj>(c.env.map((e: Obj) => [e.name, e]));
    expect(env.get('SLACK_BOT_TOKEN')?.valueFrom.secretKeyRef).toMatchObject({ name: 'ipvs-bot-slack', key: 'SLACK_BOT_TOKEN' });
    expect(env.get('SLACK_APP_TOKEN')?.valueFrom.secretKeyRef).toMatchObject({ name: 'ipvs-bot-slack', key: 'SLACK_APP_TOKEN' });
    expect(env.get('SLACK_SIGNING_SECRET')?.valueFrom.secretKeyRef).toMatchObject({ name: 'ipvs-bot-slack', optional: true });
    for (const e of c.env as Obj[]) expect(e.value ?? '', `${e.name} must come from the Secret`).not.toMatch(/^xox|^xapp/);
    // the DB lives on the PVC, the config comes from the ConfigMap
    const mounts = new Map<string, string>(c.volumeMounts.map((m: Obj) => [m.mountPath, m.name]));
    const volumes = new Map<string, Obj>(pod.volumes.map((v: Obj) => [v.name, v]));
    expect(env.get('IPVS_BOT_DB')?.value).toMatch(/^\/data\//);
    expect(volumes.get(mounts.get('/data')!)?.persistentVolumeClaim.claimName).toBe(one('PersistentVolumeClaim').metadata.name);
    const configFile = env.get('IPVS_BOT_CONFIG')!.value as string;
    const configDir = configFile.slice(0, configFile.lastIndexOf('/'));
    const cm = one('ConfigMap', volumes.get(mounts.get(configDir)!)!.configMap.name);
    expect(Object.keys(cm.data)).toContain(configFile.slice(configDir.length + 1));
  });

  it('caps the V8 old space well inside the memory limit, the same way in the Deployment and the image', () => {
    const c = one('Deployment', 'ipvs-bot').spec.template.spec.containers[0];
    const opts = (c.env as Obj[]).find((e) => e.name === 'NODE_OPTIONS')?.value as string;
    const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(opts ?? '')?.[1]);
    const limit = /^(\d+)(Mi|Gi)$/.exec(c.resources.limits.memory as string)!;
    const limitMiB = Number(limit[1]) * (limit[2] === 'Gi' ? 1024 : 1);
    // Room beside the heap for young space, buffers, SQLite and code: at most half the limit. And well above the
    // live heap measured at 5,000 nodes (~60-110 MB after a full GC, bench/rss.bench.ts), or the bot would crash.
    expect(heapMiB).toBeLessThanOrEqual(limitMiB / 2);
    expect(heapMiB).toBeGreaterThanOrEqual(160);
    const env = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').split(/^FROM /m).at(-1)!;
    expect(/NODE_OPTIONS=(\S+)/.exec(env)?.[1]).toBe(opts);
  });

  it('ships an ipvs-bot.yaml that the real config loader accepts, for the in-cluster cluster and the Job namespace', () => {
    const cm = one('ConfigMap', 'ipvs-bot-config');
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_APP_TOKEN: 'xapp-test' }, { text: cm.data['ipvs-bot.yaml'] });
    expect(config.clusters.map((c) => c.name)).toEqual(['in-cluster']);
    expect(config.clusters[0]!.kubeconfig).toBeUndefined();
    expect(config.clusters[0]!.jobNamespace).toBe(JOBS_NS);
  });

  describe('RBAC', () => {
    const grants = grantsFor(applied as never, SA);
    const required = requiredPermissions({ jobNamespace: JOBS_NS });

    it('grants every permission in src/k8s/required-permissions.ts, in the right namespace and for the right names', () => {
      const missing = required.filter((p) => !grants.some((g) => allows(g, p))).map(describePermission);
      expect(missing).toEqual([]);
    });

    it('grants nothing beyond that list: no wildcard, no extra verb, resource, namespace or object', () => {
      expect(grants.length).toBeGreaterThan(0);
      expect(grants.flatMap((g) => excess(g, required))).toEqual([]);
    });

    it('does not grant what is deliberately left out (creating namespaces)', () => {
      for (const p of NOT_GRANTED) expect(grants.some((g) => allows(g, p)), describePermission(p)).toBe(false);
    });

    it('the checker itself catches a missing rule and an over-broad one', () => {
      const patchCm = required.find((p) => p.verb === 'patch' && p.resource === 'configmaps')!;
      const without = grants.map((g) => (g.rule.resources?.includes('configmaps') ? { ...g, rule: { ...g.rule, verbs: ['get'] } } : g));
      expect(without.some((g) => allows(g, patchCm))).toBe(false);
      const broad = grants.map((g) => (g.rule.resources?.includes('configmaps') ? { ...g, rule: { ...g.rule, resourceNames: [] } } : g));
      expect(broad.flatMap((g) => excess(g, required))).toContain('Role/kube-system/ipvs-bot-kube-proxy (kube-system): patch core/configmaps');
      // a ClusterRoleBinding would widen a namespaced permission to every namespace
      const widened = grants.map((g) => (g.rule.resources?.includes('pods/log') ? { ...g, scope: 'cluster' } : g));
      expect(widened.flatMap((g) => excess(g, required)).some((s) => s.includes('get core/pods/log'))).toBe(true);
    });
  });
});

/** Does some required permission cover the derived call (same verb/group/resource/subresource and scope)? */
function covered(c: DerivedCall, required: readonly RequiredPermission[]): boolean {
  return required.some((p) => p.verb === c.verb && p.group === c.group && p.resource === c.resource && p.subresource === c.subresource
    && (c.scope === 'cluster' ? p.namespace === undefined : p.namespace !== undefined));
}

describe('src/k8s/required-permissions vs the adapter source', () => {
  it('the derivation maps client-node calls and watch paths, and flags what it cannot map', () => {
    const src = `
      // this.core.deleteNamespacedSecret( in a comment does not count
      await this.core.readNamespacedConfigMap({ name, namespace });
      await this.apps.patchNamespacedDaemonSet({ name, namespace, body });
      await this.core.listNode();
      await this.apps.listDaemonSetForAllNamespaces();
      await this.core.readNamespacedPodLog({ name, namespace });
      await this.watch.watch(\`/apis/batch/v1/namespaces/\${ns}/jobs\`, {}, onEvent, onDone);
      await this.version.getCode();
      await this.core.deleteNamespacedSecret({ name, namespace });
      const o = new KubernetesObjectApi();`;
    const { calls, unknown } = deriveCalls(src);
    const simple = calls.filter((c) => c.needsRule).map((c) => `${c.verb} ${c.group}/${c.resource}${c.subresource ? `/${c.subresource}` : ''} ${c.scope}`);
    expect(simple).toEqual([
      'get /configmaps namespaced', 'patch apps/daemonsets namespaced', 'list /nodes cluster', 'list apps/daemonsets cluster',
      'get /pods/log namespaced', 'delete /secrets namespaced', 'watch batch/jobs namespaced',
    ]);
    expect(unknown).toHaveLength(1);
    // deleting a Secret is not something the workflow may do
    expect(calls.filter((c) => c.needsRule && !covered(c, REQUIRED_PERMISSIONS)).map((c) => c.resource)).toEqual(['secrets']);
  });

  it('every call src/k8s/k8s-cluster.ts makes is in the list, and every listed permission is used by it', () => {
    expect(existsSync(ADAPTER), 'the Kubernetes adapter moved: update ADAPTER here').toBe(true);
    // The rule "only k8s-cluster.ts imports client-node" is what makes scanning one file enough.
    const importers = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && /from '@kubernetes\/client-node'/.test(readFileSync(join(ROOT, 'src', f), 'utf8')));
    expect(importers).toEqual([join('k8s', 'k8s-cluster.ts')]);
    const { calls, unknown } = deriveCalls(readFileSync(ADAPTER, 'utf8'));
    expect(unknown, 'calls the derivation cannot map: extend test/deploy/adapter-calls.ts').toEqual([]);
    const needing = calls.filter((c) => c.needsRule);
    expect(needing.length).toBeGreaterThan(5);
    const notListed = needing.filter((c) => !covered(c, [...REQUIRED_PERMISSIONS, ...NOT_GRANTED])).map((c) => `${c.at} → ${c.verb} ${c.group || 'core'}/${c.resource}${c.subresource ? `/${c.subresource}` : ''} (${c.scope})`);
    expect(notListed, 'add these to src/k8s/required-permissions.ts and deploy/rbac.yaml').toEqual([]);
    const unused = REQUIRED_PERMISSIONS.filter((p) => !needing.some((c) => covered(c, [p]))).map(describePermission);
    expect(unused, 'listed but never called: remove from required-permissions.ts and deploy/rbac.yaml').toEqual([]);
    const stale = NOT_GRANTED.filter((p) => !needing.some((c) => covered(c, [p]))).map(describePermission);
    expect(stale, 'NOT_GRANTED entries the adapter no longer needs').toEqual([]);
  });
});
