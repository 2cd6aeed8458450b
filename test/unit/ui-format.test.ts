import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { UsageError } from '../../src/errors.js';
import { FORMATS, parseFormat, render, toJson, toTsv, toYaml } from '../../src/ui/format.js';
import { sanitizeForTerminal, sanitizeMultiline } from '../../src/ui/sanitize.js';
import { cellText, renderTable } from '../../src/ui/table.js';

/** Nothing that a terminal interprets may survive: C0, DEL, C1, bidi and zero-width characters. */
const DANGEROUS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]/u;

describe('sanitizeForTerminal', () => {
  const table: Array<[string, string, string]> = [
    ['plain text is untouched', 'node1 10.0.0.1 ünïcödé 日本', 'node1 10.0.0.1 ünïcödé 日本'],
    ['ESC colour sequence (CSI)', 'a\u001b[31mred\u001b[0m', 'a\\e[31mred\\e[0m'],
    ['cursor movement / clear screen', '\u001b[2J\u001b[H', '\\e[2J\\e[H'],
    ['OSC window-title set', '\u001b]0;owned\u0007', '\\e]0;owned\\x07'],
    ['OSC 8 hyperlink with ST', '\u001b]8;;https://evil\u001b\\x\u001b]8;;\u001b\\', '\\e]8;;https://evil\\e\\x\\e]8;;\\e\\'],
    ['C1 CSI (U+009B)', 'x\u009b2Jy', 'x\\x9b2Jy'],
    ['C1 OSC (U+009D) and NEL (U+0085)', '\u009d0;t\u0085', '\\x9d0;t\\x85'],
    ['DEL', 'a\u007fb', 'a\\x7fb'],
    ['NUL and backspace', 'a\u0000b\u0008', 'a\\x00b\\x08'],
    ['tab, newline, carriage return', 'a\tb\nc\rd', 'a\\tb\\nc\\rd'],
    ['bidi override U+202E', 'abc\u202etxt.exe', 'abc\\u202etxt.exe'],
    ['bidi isolates U+2066-2069 and ALM U+061C', '\u2066x\u2069\u061c', '\\u2066x\\u2069\\u061c'],
    ['zero-width space / joiner / BOM', 'a\u200bb\u200dc\ufeff', 'a\\u200bb\\u200dc\\ufeff'],
    ['line/paragraph separators', 'a\u2028b\u2029', 'a\\u2028b\\u2029'],
  ];
  for (const [label, input, expected] of table) {
    test(label, () => {
      const out = sanitizeForTerminal(input);
      assert.equal(out, expected);
      assert.doesNotMatch(out, DANGEROUS);
    });
  }

  test('sanitizeMultiline keeps line feeds but escapes everything else', () => {
    assert.equal(sanitizeMultiline('a: 1\nb: \u001b[31m\r\n'), 'a: 1\nb: \\e[31m\\r\n');
  });
});

describe('cellText and renderTable', () => {
  test('cellText: null/undefined blank, numbers and booleans stringified, controls escaped', () => {
    assert.deepEqual([null, undefined, 0, 12, true, 'a\tb\nc'].map((v) => cellText(v)), ['', '', '0', '12', 'true', 'a\\tb\\nc']);
  });

  test('boxed layout with padded columns', () => {
    assert.equal(
      renderTable(['Member', 'TL'], [['node1', 4], ['n2', null]]),
      ['+--------+----+', '| Member | TL |', '+--------+----+', '| node1  | 4  |', '| n2     |    |', '+--------+----+', ''].join('\n'),
    );
  });

  test('title is drawn across the top rule when it fits, alone when it does not', () => {
    const rows = [['long value', 1]];
    assert.equal(renderTable(['A', 'Bee'], rows, 'Cluster: demo').split('\n')[0], '+ Cluster: demo ---+');
    const narrow = renderTable(['A'], [['x']], 'Cluster: a-very-long-title').split('\n');
    assert.equal(narrow[0], '+ Cluster: a-very-long-title');
    assert.equal(narrow[1], '| A |');
  });

  test('hostile cells stay on one line per row and cannot inject escapes; width counts the escaped text', () => {
    const out = renderTable(['Member'], [['evil\nrow\u001b[2J'], ['\u202eabc']], 'T\u001b]0;x\u0007');
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.length, 6);
    assert.doesNotMatch(out.replace(/\n/gu, ''), DANGEROUS);
    assert.equal(lines[3], '| evil\\nrow\\e[2J |');
    const widths = new Set(lines.slice(1).map((l) => l.length));
    assert.equal(widths.size, 1, 'every line after the title has the same width');
  });
});

describe('parseFormat', () => {
  for (const f of FORMATS) test(`accepts ${f}`, () => assert.equal(parseFormat(f), f));
  test('yml is an alias for yaml', () => assert.equal(parseFormat('yml'), 'yaml'));
  for (const bad of ['', 'JSON', 'xml', 'table', 'json ']) {
    test(`rejects ${JSON.stringify(bad)} with a UsageError naming the choices`, () => {
      assert.throws(
        () => parseFormat(bad),
        (e: unknown) => e instanceof UsageError && e.exitCode === 2 && e.hint === 'use one of pretty, json, yaml, tsv',
      );
    });
  }
});

describe('toJson', () => {
  const hostile = {
    name: 'n\u001b[31m\u009b2J\u202eabc\u200b\u2028\u2029\u0085\u007f',
    nested: [{ 'k\u202e': '\ufeff\u2066x\u2069' }],
    n: 1,
    ok: true,
    none: null,
  };

  test('escapes C0, C1 and bidi characters so the text is terminal-safe', () => {
    const text = toJson(hostile);
    assert.doesNotMatch(text.replace(/\n/gu, ''), DANGEROUS);
    assert.match(text, /\\u009b/u);
    assert.match(text, /\\u202e/u);
    assert.match(text, /\\u001b/u);
    assert.ok(text.endsWith('}\n'));
  });

  test('stays valid JSON that round-trips to the original data', () => {
    assert.deepEqual(JSON.parse(toJson(hostile)), hostile);
    const backslashes = { s: '\\\u202e\\u202e' };
    assert.deepEqual(JSON.parse(toJson(backslashes)), backslashes);
  });

  test('is pretty-printed with two spaces', () => {
    assert.equal(toJson({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}\n');
  });
});

describe('toYaml', () => {
  test('sanitizes keys and values at every depth', () => {
    const text = toYaml({ 'k\u001b[1m': ['v\u009b2J', { deep: 'x\u202ey\ttab' }], n: 5 });
    assert.doesNotMatch(text.replace(/\n/gu, ''), DANGEROUS);
    const parsed = YAML.parse(text) as Record<string, unknown>;
    assert.deepEqual(parsed, { 'k\\e[1m': ['v\\x9b2J', { deep: 'x\\u202ey\\ttab' }], n: 5 });
  });

  test('plain data is unchanged', () => {
    const data = { ttl: 30, postgresql: { parameters: { max_connections: 200, wal_level: 'replica' } }, pause: true, list: [1, 'a', null] };
    assert.deepEqual(YAML.parse(toYaml(data)), data);
  });
});

describe('toTsv', () => {
  test('one header line and one line per record; tabs and newlines in cells escaped', () => {
    const text = toTsv({ columns: ['Member', 'Tags', 'Lag'], rows: [['a\tb', 'x\ny', 0], ['c', null, undefined], ['\u001b[31m', '', 1]] });
    assert.equal(text, 'Member\tTags\tLag\na\\tb\tx\\ny\t0\nc\t\t\n\\e[31m\t\t1\n');
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    for (const line of lines) assert.equal(line.split('\t').length, 3);
  });
});

describe('render', () => {
  const doc = { data: { a: 1 }, table: { columns: ['A'], rows: [[1]] } };
  test('dispatches on format', () => {
    assert.equal(render('json', doc), '{\n  "a": 1\n}\n');
    assert.equal(render('yaml', doc), 'a: 1\n');
    assert.equal(render('tsv', doc), 'A\n1\n');
    assert.equal(render('pretty', doc), renderTable(['A'], [[1]]));
    assert.equal(render('pretty', { ...doc, pretty: () => 'custom\n' }), 'custom\n');
    assert.equal(render('pretty', { data: { a: 1 } }), 'a: 1\n', 'pretty falls back to YAML without a table');
  });
  test('tsv without a table is a UsageError', () => {
    assert.throws(() => render('tsv', { data: {} }), UsageError);
  });
});
