// A bot process for the kill -9 test: the real engine + kube-proxy-mode workflows on the DB file and kubeconfig
// given in the environment. It drives whatever runs are due until it is killed.
import { openDb } from '../../../../src/db/client.js';
import { migrateDb } from '../../../../src/db/migrate.js';
import { K8sCluster } from '../../../../src/k8s/k8s-cluster.js';
import { createEngine } from '../../../../src/workflows/engine/engine.js';
import { silentLogger, systemClock } from '../../../../src/workflows/engine/ports.js';
import { kubeProxyModeWorkflows } from '../../../../src/workflows/kube-proxy-mode/kube-proxy-mode-workflows.js';
import { CLUSTER } from '../harness-config.js';

const db = openDb(process.env.KPM_DB!);
migrateDb(db);
const cluster = K8sCluster.fromKubeconfig({ kubeconfig: process.env.KPM_KUBECONFIG! });
const engine = createEngine({
  db, clock: systemClock, notifier: { notify() {} }, logger: silentLogger, ownerId: process.env.KPM_OWNER ?? 'child',
  leaseMs: 1_000,
  workflows: kubeProxyModeWorkflows({ clusterFor: () => cluster, config: { clusters: [CLUSTER] }, timing: { syncPollMs: 20, podReadyTimeoutMs: 20_000, jobTimeoutMs: 20_000 } }),
});
await engine.start();
process.stdout.write('ready\n');
setInterval(() => {}, 1_000);
