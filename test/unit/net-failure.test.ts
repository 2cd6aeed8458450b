import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OutcomeUnknownError, ProtocolError, TlsOrAuthError, UnreachableError } from '../../src/errors.js';
import { failureToError } from '../../src/net/failure.js';
import { classifyError, type FailureKind, TransportFailure } from '../../src/net/transport.js';

const ORIGIN = 'https://10.0.1.11:8008';

/** A got-like error object: only the fields classifyError is allowed to look at. */
function gotError(fields: { name?: string; code?: string; event?: string; cause?: { code?: string }; timings?: { secureConnect?: number; upload?: number } }): Error {
  // The message carries a secret to prove classifyError never copies it.
  return Object.assign(new Error('request with Authorization: Basic aHVudGVyMg== failed'), fields);
}

describe('classifyError', () => {
  const table: Array<[string, Error, FailureKind, boolean]> = [
    ['connect timeout', gotError({ name: 'TimeoutError', code: 'ETIMEDOUT', event: 'connect' }), 'unreachable', false],
    ['lookup timeout', gotError({ name: 'TimeoutError', code: 'ETIMEDOUT', event: 'lookup' }), 'unreachable', false],
    ['TLS handshake timeout', gotError({ name: 'TimeoutError', code: 'ETIMEDOUT', event: 'secureConnect' }), 'unreachable', false],
    ['response timeout', gotError({ name: 'TimeoutError', code: 'ETIMEDOUT', event: 'response' }), 'timeout', true],
    ['read timeout', gotError({ name: 'TimeoutError', code: 'ETIMEDOUT', event: 'read' }), 'timeout', true],
    ['send timeout', gotError({ name: 'TimeoutError', code: 'ETIMEDOUT', event: 'send' }), 'timeout', true],
    ['timeout without event', gotError({ name: 'TimeoutError' }), 'timeout', true],
    ['ECONNREFUSED', gotError({ name: 'RequestError', code: 'ECONNREFUSED' }), 'unreachable', false],
    ['ENOTFOUND', gotError({ name: 'RequestError', code: 'ENOTFOUND' }), 'unreachable', false],
    ['EHOSTUNREACH via cause', gotError({ name: 'RequestError', code: 'ERR_GOT_REQUEST_ERROR', cause: { code: 'EHOSTUNREACH' } }), 'unreachable', false],
    ['CERT_HAS_EXPIRED', gotError({ name: 'RequestError', code: 'CERT_HAS_EXPIRED' }), 'tls', false],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', gotError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'tls', false],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', gotError({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 'tls', false],
    ['ERR_TLS_CERT_ALTNAME_INVALID', gotError({ code: 'ERR_TLS_CERT_ALTNAME_INVALID', timings: { secureConnect: 5 } }), 'tls', false],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', gotError({ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' }), 'tls', false],
    ['EPROTO', gotError({ code: 'EPROTO' }), 'tls', false],
    ['ECONNRESET before the handshake finished', gotError({ code: 'ECONNRESET', timings: {} }), 'tls', false],
    ['ECONNRESET without timings', gotError({ code: 'ECONNRESET' }), 'tls', false],
    ['ECONNRESET after handshake, before upload', gotError({ code: 'ECONNRESET', timings: { secureConnect: 10 } }), 'connection-lost', false],
    ['ECONNRESET after the request was sent', gotError({ code: 'ECONNRESET', timings: { secureConnect: 10, upload: 12 } }), 'connection-lost', true],
    ['EPIPE after the request was sent', gotError({ code: 'EPIPE', timings: { secureConnect: 10, upload: 12 } }), 'connection-lost', true],
  ];
  for (const [label, error, kind, sent] of table) {
    test(`${label} → ${kind}${sent ? ', may have reached the server' : ', not sent'}`, () => {
      const f = classifyError(error, ORIGIN);
      assert.ok(f instanceof TransportFailure);
      assert.equal(f.kind, kind);
      assert.equal(f.mayHaveReachedServer, sent);
      assert.equal(f.origin, ORIGIN);
      assert.ok(!f.message.includes('aHVudGVyMg'), 'never copies the library message');
      assert.ok(!f.detail.includes('Authorization'));
    });
  }

  test('details name the code or phase', () => {
    assert.equal(classifyError(gotError({ name: 'TimeoutError', event: 'connect' }), ORIGIN).detail, 'timed out during connect');
    assert.equal(classifyError(gotError({ name: 'TimeoutError', event: 'response' }), ORIGIN).detail, 'no answer in time (response)');
    assert.equal(classifyError(gotError({ code: 'ECONNRESET' }), ORIGIN).detail, 'ECONNRESET during TLS handshake');
    assert.equal(classifyError(gotError({ code: 'ECONNREFUSED' }), ORIGIN).detail, 'ECONNREFUSED');
  });

  test('non-Error throwables do not crash it', () => {
    for (const thrown of [{}, 'boom', 42]) {
      const f = classifyError(thrown, ORIGIN);
      assert.ok(f instanceof TransportFailure);
      assert.equal(f.origin, ORIGIN);
      assert.equal(f.mayHaveReachedServer, false);
    }
  });

  const unreachableCodes = ['EHOSTDOWN', 'ENETDOWN', 'ETIMEDOUT', 'EAI_FAIL'];
  for (const code of unreachableCodes) {
    test(
      `${code} before any connection is "unreachable", not a TLS failure`,
      () => {
        assert.equal(classifyError(gotError({ code }), ORIGIN).kind, 'unreachable');
      },
    );
  }
});

test(
  'a network error after the request was sent may have reached the server',
  () => {
    const f = classifyError(gotError({ code: 'EHOSTUNREACH', timings: { secureConnect: 10, upload: 12 } }), ORIGIN);
    assert.equal(f.mayHaveReachedServer, true);
    assert.equal(f.kind, 'connection-lost');
  },
);

describe('failureToError', () => {
  const what = `Patroni REST API at ${ORIGIN}`;
  const failure = (kind: FailureKind, detail: string, sent: boolean): TransportFailure => new TransportFailure(kind, detail, sent, ORIGIN);

  test('timeout after sending a state-changing request → OutcomeUnknownError (exit 7)', () => {
    const e = failureToError(failure('timeout', 'no answer in time (response)', true), what, true);
    assert.ok(e instanceof OutcomeUnknownError);
    assert.equal(e.exitCode, 7);
    assert.match(e.message, /outcome unknown/u);
    assert.match(e.message, /10\.0\.1\.11/u);
  });

  test('connection lost after sending a state-changing request → OutcomeUnknownError', () => {
    assert.ok(failureToError(failure('connection-lost', 'ECONNRESET', true), what, true) instanceof OutcomeUnknownError);
  });

  test('the same timeout on a read → UnreachableError (exit 5)', () => {
    const e = failureToError(failure('timeout', 'no answer in time (response)', true), what, false);
    assert.ok(e instanceof UnreachableError);
    assert.equal(e.exitCode, 5);
    assert.match(e.hint ?? '', /--timeout/u);
  });

  test('connection lost before sending, even for a state change → UnreachableError', () => {
    assert.ok(failureToError(failure('connection-lost', 'ECONNRESET before the request was sent', false), what, true) instanceof UnreachableError);
  });

  test('unreachable → UnreachableError naming the endpoint', () => {
    const e = failureToError(failure('unreachable', 'ECONNREFUSED', false), what, true);
    assert.ok(e instanceof UnreachableError);
    assert.equal(e.message, `cannot reach ${what} (ECONNREFUSED)`);
  });

  test('too-large → ProtocolError', () => {
    assert.ok(failureToError(failure('too-large', 'response larger than 4194304 bytes', true), what, false) instanceof ProtocolError);
  });

  test('refused-credentials → TlsOrAuthError', () => {
    const e = failureToError(failure('refused-credentials', 'credentials are only sent over https', false), what, true);
    assert.ok(e instanceof TlsOrAuthError);
    assert.equal(e.exitCode, 4);
  });

  const tls: Array<[string, string]> = [
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'the server certificate does not name this host'],
    ['CERT_HAS_EXPIRED', 'the server certificate has expired'],
    ['CERT_NOT_YET_VALID', 'the server certificate is not valid yet'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', "the server certificate is not signed by the profile's CA"],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', "the server certificate is not signed by the profile's CA"],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'the server rejected the TLS handshake (client certificate missing or not trusted by the server)'],
    ['ECONNRESET during TLS handshake', 'the server rejected the TLS handshake (client certificate missing or not trusted by the server)'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'TLS protocol mismatch (is this an https endpoint speaking TLS 1.2 or newer?)'],
    ['ERR_SOMETHING_ELSE', 'TLS error ERR_SOMETHING_ELSE'],
  ];
  for (const [detail, readable] of tls) {
    test(`tls ${detail} → TlsOrAuthError with a readable reason`, () => {
      const e = failureToError(failure('tls', detail, false), what, false);
      assert.ok(e instanceof TlsOrAuthError);
      assert.equal(e.exitCode, 4);
      assert.equal(e.message, `TLS failure with ${what}: ${readable}`);
      assert.match(e.hint ?? '', /CA, client certificate and key/u);
    });
  }
});
