import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPrefix, prefixRangeEnd } from '../../src/dcs/etcd3.js';

describe('prefixRangeEnd', () => {
  const table: Array<[string, number[]]> = [
    ['/service/demo/', [...Buffer.from('/service/demo'), 0x30]], // '/' + 1 = '0'
    ['a', [0x62]],
    ['az', [0x61, 0x7b]],
    ['', [0x00]], // empty prefix: range_end "\0" means "every key"
  ];
  for (const [prefix, expected] of table) {
    test(`${JSON.stringify(prefix)} → ${Buffer.from(expected).toString('hex')}`, () => {
      assert.deepEqual([...prefixRangeEnd(prefix)], expected);
    });
  }

  test('works on UTF-8 bytes, not UTF-16 code units', () => {
    // "é" is c3 a9 in UTF-8; the last byte is incremented.
    assert.deepEqual([...prefixRangeEnd('/é')], [0x2f, 0xc3, 0xaa]);
  });

  test('every key under the prefix sorts below the end, and the next sibling does not', () => {
    const prefix = '/service/demo/';
    const end = prefixRangeEnd(prefix);
    for (const key of ['/service/demo/', '/service/demo/leader', '/service/demo/members/node1', '/service/demo/\u{10ffff}']) {
      assert.ok(Buffer.compare(Buffer.from(key), end) < 0, key);
      assert.ok(Buffer.compare(Buffer.from(key), Buffer.from(prefix)) >= 0, key);
    }
    for (const key of ['/service/demo0', '/service/demo1/leader', '/service/demp/']) {
      assert.ok(Buffer.compare(Buffer.from(key), end) >= 0, key);
    }
    assert.ok(Buffer.compare(Buffer.from('/service/demo'), Buffer.from(prefix)) < 0, 'the scope without slash is outside the range');
  });

  test('does not mutate or alias the input bytes', () => {
    const end = prefixRangeEnd('ab');
    end[0] = 0;
    assert.deepEqual([...prefixRangeEnd('ab')], [0x61, 0x63]);
  });
});

describe('clusterPrefix', () => {
  const table: Array<[string, string, string]> = [
    ['/service', 'demo', '/service/demo/'],
    ['/service/', 'demo', '/service/demo/'],
    ['/service///', 'demo', '/service/demo/'],
    ['/a/b', 'c', '/a/b/c/'],
  ];
  for (const [ns, scope, expected] of table) test(`${ns} + ${scope} → ${expected}`, () => assert.equal(clusterPrefix(ns, scope), expected));

  test('a scope that is a prefix of another scope does not overlap it', () => {
    assert.ok(!clusterPrefix('/service', 'demo2').startsWith(clusterPrefix('/service', 'demo')));
  });
});
