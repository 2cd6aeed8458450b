// The one way integration tests create a patrol profile for a harness cluster: every REST URL,
// the client certificate, basic-auth user and the etcd section, through the real CLI.

import type { ClusterHandle } from '../fixtures/cluster.js';
import { runPatrol, tempConfigDir, type PatrolRun } from './run-patrol.js';

export function clusterProfileArgs(cluster: ClusterHandle, name = 'test'): string[] {
  return [
    'profile', 'add', name, '--use',
    '--cluster', cluster.scope,
    ...cluster.restUrls.flatMap((u) => ['--rest-url', u]),
    '--cacert', cluster.pki.ca, '--cert', cluster.pki.restClientCert, '--key', cluster.pki.restClientKey,
    '--username', cluster.restUser,
    '--dcs-url', cluster.etcdUrl, '--dcs-cacert', cluster.pki.ca,
    '--dcs-cert', cluster.pki.etcdClientCert, '--dcs-key', cluster.pki.etcdClientKey, '--dcs-username', cluster.etcdUser,
  ];
}

/** A fresh config dir holding a full profile for the cluster, and the env with its secrets. */
export async function clusterProfile(cluster: ClusterHandle): Promise<{ configDir: string; env: Record<string, string>; add: PatrolRun }> {
  const configDir = tempConfigDir();
  const add = await runPatrol(clusterProfileArgs(cluster), { configDir });
  return { configDir, env: { PATROL_REST_PASSWORD: cluster.restPassword, PATROL_DCS_PASSWORD: cluster.etcdPassword }, add };
}
