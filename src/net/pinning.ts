// Public-key pinning: a profile may list the SHA-256 hashes of its servers' public keys (the DER
// SubjectPublicKeyInfo, written "sha256/BASE64"). With pins set, a server must present a
// certificate whose key is one of them *in addition to* passing normal CA and hostname
// verification, so a certificate mis-issued by the profile's CA (or a compromised CA) is not
// enough to impersonate a member.
//
// The check runs at three points, because a keep-alive agent hides connection reuse from the
// caller: during every full handshake (before any request byte is written), on every socket a
// request is assigned to (a reused keep-alive socket never re-handshakes), and on every response.

import { createHash, X509Certificate } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { UsageError } from '../errors.js';

const PIN = /^sha256\/[A-Za-z0-9+/]{43}=$/u;

export const PIN_MISMATCH_CODE = 'ERR_TLS_PIN_MISMATCH';

export function validatePin(pin: string, field: string): string {
  if (!PIN.test(pin)) throw new UsageError(`profile field ${field} holds an invalid pin "${pin}"`, 'pins look like sha256/ followed by 44 base64 characters; record them with `patrol profile pin NAME`');
  return pin;
}

/** The pin of a DER-encoded SubjectPublicKeyInfo. */
export function spkiPin(spkiDer: Buffer): string {
  return `sha256/${createHash('sha256').update(spkiDer).digest('base64')}`;
}

/** The pin of a certificate, from its raw DER (as in PeerCertificate.raw). */
export function certificatePin(certDer: Buffer): string {
  const spki = new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'der' });
  return spkiPin(spki);
}

export class PinMismatchError extends Error {
  readonly code = PIN_MISMATCH_CODE;
  constructor(readonly presented: string) {
    super("the server's public key does not match the profile's pins");
    this.name = 'PinMismatchError';
  }
}

/** Undefined when the peer's leaf key is pinned; otherwise the error to fail the request with. */
export function checkPeerPin(cert: Pick<PeerCertificate, 'raw'> | undefined, pins: readonly string[]): PinMismatchError | undefined {
  if (!cert?.raw || cert.raw.length === 0) return new PinMismatchError('(no certificate)');
  const presented = certificatePin(cert.raw);
  return pins.includes(presented) ? undefined : new PinMismatchError(presented);
}

/** Check the certificate of an established TLS socket (a reused keep-alive socket included). */
export function checkSocketPin(socket: Pick<TLSSocket, 'getPeerCertificate'>, pins: readonly string[]): PinMismatchError | undefined {
  return checkPeerPin(socket.getPeerCertificate(false) as PeerCertificate | undefined, pins);
}
