import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeclinedError,
  describeFailure,
  ExitCode,
  InterruptedError,
  OutcomeUnknownError,
  PatrolError,
  PreconditionError,
  ProtocolError,
  TlsOrAuthError,
  UnreachableError,
  UsageError,
} from '../../src/errors.js';

describe('describeFailure maps each error class to its exit code', () => {
  const table: Array<[string, PatrolError, number, string]> = [
    ['UsageError', new UsageError('bad flag', 'see --help'), 2, 'patrol: bad flag; see --help'],
    ['DeclinedError', new DeclinedError('not confirmed'), 3, 'patrol: not confirmed'],
    ['TlsOrAuthError', new TlsOrAuthError('TLS failure', 'check the CA'), 4, 'patrol: TLS failure; check the CA'],
    ['UnreachableError', new UnreachableError('cannot reach x'), 5, 'patrol: cannot reach x'],
    ['PreconditionError', new PreconditionError('409 from server'), 6, 'patrol: 409 from server'],
    ['OutcomeUnknownError', new OutcomeUnknownError('outcome unknown'), 7, 'patrol: outcome unknown; check the cluster with `patrol list`'],
    ['ProtocolError', new ProtocolError('not JSON'), 1, 'patrol: not JSON'],
    ['InterruptedError', new InterruptedError(), 130, 'patrol: interrupted'],
  ];
  for (const [label, error, code, line] of table) {
    test(`${label} → ${code}`, () => {
      const d = describeFailure(error);
      assert.equal(d.exitCode, code);
      assert.equal(d.line, line);
      assert.equal(error.exitCode, code);
      assert.equal(error.name, label);
    });
  }

  test('ExitCode constants', () => {
    assert.deepEqual(ExitCode, { ok: 0, unexpected: 1, usage: 2, declined: 3, tlsOrAuth: 4, unreachable: 5, preconditionRefused: 6, outcomeUnknown: 7, interrupted: 130 });
  });
});

describe('describeFailure on errors patrol did not build', () => {
  const secretMessage = 'request to https://user:hunter2@10.0.0.1 failed with Authorization: Basic aHVudGVyMg==';
  const table: Array<[string, unknown, string]> = [
    ['plain Error', new Error(secretMessage), 'Error'],
    ['TypeError', new TypeError(secretMessage), 'TypeError'],
    ['custom-named error', Object.assign(new Error(secretMessage), { name: 'RequestError' }), 'RequestError'],
    ['thrown string', secretMessage, 'string'],
    ['thrown object', { message: secretMessage }, 'object'],
    ['undefined', undefined, 'undefined'],
  ];
  for (const [label, error, name] of table) {
    test(`${label} → exit 1, class name only, never the message`, () => {
      const d = describeFailure(error);
      assert.equal(d.exitCode, 1);
      assert.ok(!d.line.includes('hunter2'), d.line);
      assert.ok(!d.line.includes('aHVudGVyMg'), d.line);
      assert.ok(!d.line.includes('10.0.0.1'), d.line);
      assert.equal(d.line, `patrol: unexpected internal error (${name}); rerun with --debug for details and report it`);
    });
  }
});
