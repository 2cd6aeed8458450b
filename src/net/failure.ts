// Turns a TransportFailure into the operator-facing error, naming the endpoint and what to check.

import {
  OutcomeUnknownError,
  type PatrolError,
  ProtocolError,
  TlsOrAuthError,
  UnreachableError,
} from '../errors.js';
import type { TransportFailure } from './transport.js';

function describeTls(detail: string): string {
  if (/PIN_MISMATCH/u.test(detail)) return "the server's public key does not match the profile's pins (`patrol profile pin` records new ones)";
  if (/ALTNAME|HOSTNAME/u.test(detail)) return 'the server certificate does not name this host';
  if (/EXPIRED/u.test(detail)) return 'the server certificate has expired';
  if (/NOT_YET_VALID/u.test(detail)) return 'the server certificate is not valid yet';
  if (/SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|DEPTH_ZERO|UNTRUSTED/u.test(detail)) {
    return "the server certificate is not signed by the profile's CA";
  }
  if (/CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|during TLS handshake/u.test(detail)) {
    return 'the server rejected the TLS handshake (client certificate missing or not trusted by the server)';
  }
  if (/WRONG_VERSION|UNSUPPORTED_PROTOCOL|PROTOCOL_VERSION|EPROTO/u.test(detail)) {
    return 'TLS protocol mismatch (is this an https endpoint speaking TLS 1.2 or newer?)';
  }
  return `TLS error ${detail}`;
}

/**
 * @param what  what was being contacted, e.g. "Patroni REST API at https://10.0.0.1:8008"
 * @param stateChanging  true for requests that change cluster state: a failure after sending is
 *                       then "outcome unknown", never a plain failure
 */
export function failureToError(failure: TransportFailure, what: string, stateChanging: boolean): PatrolError {
  switch (failure.kind) {
    case 'tls':
      return new TlsOrAuthError(`TLS failure with ${what}: ${describeTls(failure.detail)}`, 'check the CA, client certificate and key in the profile');
    case 'refused-credentials':
      return new TlsOrAuthError(`refusing to send credentials to ${what}: ${failure.detail}`);
    case 'unreachable':
      return new UnreachableError(`cannot reach ${what} (${failure.detail})`, 'check that the endpoint is up and the URL in the profile is right');
    case 'too-large':
      return new ProtocolError(`answer from ${what} was too large (${failure.detail}); aborted`);
    case 'timeout':
    case 'connection-lost':
      if (stateChanging && failure.mayHaveReachedServer) {
        return new OutcomeUnknownError(`outcome unknown: ${what} did not answer (${failure.detail}) after the request was sent`);
      }
      return new UnreachableError(`${what} did not answer (${failure.detail})`, 'check the endpoint, or raise --timeout');
  }
}
