// Recorded Patroni 3.0.2 responses (test/fixtures/responses/v3.0.2): both decoders must describe
// the same cluster from the REST API and from the DCS.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { clusterFromDcs, configFromDcs } from '../../src/cluster/from-dcs.js';
import { clusterFromRest } from '../../src/cluster/from-rest.js';
import { clusterToJson } from '../../src/cluster/view.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/responses/v3.0.2/${name}`, import.meta.url), 'utf8'));

const rest = clusterFromRest(fixture('cluster.json'), 'sandbox');
const dcs = clusterFromDcs(new Map(Object.entries(fixture('dcs-snapshot.json') as Record<string, string>)), 'sandbox');

test('REST and DCS views of the recorded 3.0.2 cluster agree member by member', () => {
  const strip = (c: typeof rest) =>
    clusterToJson(c).members.map(({ name, role, state, host, port, timeline }) => ({ name, role, state, host, port, timeline }));
  assert.deepEqual(strip(dcs), strip(rest));
  assert.equal(rest.leader, 'pg0');
  assert.equal(dcs.leader, 'pg0');
});

test('3.0.2 replicas are "running" and their lag comes from the status optime', () => {
  for (const cluster of [rest, dcs]) {
    const replicas = cluster.members.filter((m) => m.role === 'replica');
    assert.equal(replicas.length, 2);
    for (const r of replicas) {
      assert.equal(r.state, 'running');
      assert.equal(typeof r.lagBytes, 'number');
    }
  }
  assert.match(dcs.systemId ?? '', /^\d{19}$/);
  assert.equal(rest.systemId, undefined, 'REST-only mode does not know the system id');
});

test('the DCS config key and GET /config hold the same dynamic configuration', () => {
  const snapshot = new Map(Object.entries(fixture('dcs-snapshot.json') as Record<string, string>));
  assert.deepEqual(configFromDcs(snapshot), fixture('config.json'));
});
