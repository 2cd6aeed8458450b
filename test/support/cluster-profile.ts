// The one way integration tests create a patrol profile for a harness cluster, through the real
// CLI: REST URL(s), client certificate, basic-auth user and (optionally) the etcd section, with
// any flag overridden or dropped (undefined) for negative tests.

import type { ClusterHandle } from '../fixtures/cluster.js';
import { runPatrol, tempConfigDir, type PatrolRun } from './run-patrol.js';

export interface ProfileArgOptions {
  /** Flag → value; undefined drops the flag (e.g. no client certificate). */
  overrides?: Record<string, string | undefined>;
  /** Include the etcd section (default true). */
  dcs?: boolean;
  /** Every member's REST URL (default) or only the first. */
  allRestUrls?: boolean;
  /** Make it the current profile (default true). */
  use?: boolean;
}

export function profileAddArgs(cluster: ClusterHandle, name: string, options: ProfileArgOptions = {}): string[] {
  const { overrides = {}, dcs = true, allRestUrls = true, use = true } = options;
  const flags: Record<string, string | undefined> = {
    '--cluster': cluster.scope,
    '--cacert': cluster.pki.ca,
    '--cert': cluster.pki.restClientCert,
    '--key': cluster.pki.restClientKey,
    '--username': cluster.restUser,
    ...(dcs
      ? {
          '--dcs-url': cluster.etcdUrl,
          '--dcs-cacert': cluster.pki.ca,
          '--dcs-cert': cluster.pki.etcdClientCert,
          '--dcs-key': cluster.pki.etcdClientKey,
          '--dcs-username': cluster.etcdUser,
        }
      : {}),
    ...overrides,
  };
  const restUrls = '--rest-url' in overrides ? [] : allRestUrls ? cluster.restUrls : cluster.restUrls.slice(0, 1);
  return [
    'profile', 'add', name,
    ...(use ? ['--use'] : []),
    ...restUrls.flatMap((u) => ['--rest-url', u]),
    ...Object.entries(flags).flatMap(([k, v]) => (v === undefined ? [] : [k, v])),
  ];
}

export function clusterProfileArgs(cluster: ClusterHandle, name = 'test'): string[] {
  return profileAddArgs(cluster, name);
}

/** A fresh config dir holding a full profile for the cluster, and the env with its secrets. */
export async function clusterProfile(cluster: ClusterHandle): Promise<{ configDir: string; env: Record<string, string>; add: PatrolRun }> {
  const configDir = tempConfigDir();
  const add = await runPatrol(clusterProfileArgs(cluster), { configDir });
  return { configDir, env: { PATROL_REST_PASSWORD: cluster.restPassword, PATROL_DCS_PASSWORD: cluster.etcdPassword }, add };
}
