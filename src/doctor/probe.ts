// Network probes for `patrol doctor`: name resolution, TCP, and a TLS handshake that reports what
// the server presented. The handshake here only *looks* — it collects the protocol, cipher,
// certificate and the verification verdicts, writes no application data and sends no credential,
// and is closed at once. Requests themselves always go through the hardened HttpTransport.

import { X509Certificate } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, rootCertificates } from 'node:tls';

export interface TlsInspection {
  host: string;
  address: string | null;
  dnsError: string | null;
  tcpError: string | null;
  handshakeError: string | null;
  protocol: string | null;
  cipher: string | null;
  /** Did the chain verify against the trusted CAs (the profile CA, else the bundled roots)? */
  chainError: string | null;
  /** Does the certificate name the host we connected to? */
  identityError: string | null;
  leaf: X509Certificate | null;
  /** True when the inspection had to present the client certificate to complete. */
  presentedClientCert: boolean;
}

export interface InspectionTls {
  ca?: Buffer | undefined;
  cert?: Buffer | undefined;
  key?: string | undefined;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const errorCode = (error: unknown): string => String((error as { code?: string }).code ?? (error as Error).message ?? 'error');

function openTcp(address: string, port: number, timeoutMs: number): Promise<Socket> {
  return withTimeout(
    new Promise<Socket>((resolve, reject) => {
      const socket = tcpConnect({ host: address, port });
      socket.once('connect', () => resolve(socket));
      socket.once('error', (error) => {
        socket.destroy();
        reject(error);
      });
    }),
    timeoutMs,
    'TCP connect',
  );
}

interface Handshake {
  protocol: string | null;
  cipher: string | null;
  chainError: string | null;
  peer: PeerCertificate;
}

function handshake(socket: Socket, host: string, tls: InspectionTls, withClientCert: boolean, timeoutMs: number): Promise<Handshake> {
  return withTimeout(
    new Promise<Handshake>((resolve, reject) => {
      const secure = tlsConnect({
        socket,
        ...(isIP(host) ? {} : { servername: host }),
        ca: tls.ca ?? [...rootCertificates],
        ...(withClientCert && tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
        minVersion: 'TLSv1.2',
        // Inspection only: verification verdicts are read below and reported, and the socket is
        // closed before any application data is written.
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });
      secure.once('secureConnect', () => {
        const cipher = secure.getCipher();
        const found: Handshake = {
          protocol: secure.getProtocol(),
          cipher: cipher ? cipher.standardName ?? cipher.name : null,
          chainError: secure.authorized ? null : String(secure.authorizationError ?? 'not authorized'),
          peer: secure.getPeerCertificate(false),
        };
        secure.destroy();
        resolve(found);
      });
      secure.once('error', (error) => {
        secure.destroy();
        reject(error);
      });
    }).finally(() => socket.destroy()),
    timeoutMs,
    'TLS handshake',
  );
}

/**
 * Resolve, connect and shake hands with an https endpoint. The first handshake presents no client
 * certificate (nothing of the operator's identity goes to a server not yet verified); only if the
 * server refuses to complete one without it (TLS 1.2 with a required client certificate) is it
 * repeated with the certificate.
 */
export async function inspectEndpoint(origin: string, tls: InspectionTls, timeoutMs: number): Promise<TlsInspection> {
  const url = new URL(origin);
  const host = url.hostname.replace(/^\[|\]$/gu, '');
  const port = Number(url.port || 443);
  const out: TlsInspection = {
    host, address: null, dnsError: null, tcpError: null, handshakeError: null, protocol: null, cipher: null,
    chainError: null, identityError: null, leaf: null, presentedClientCert: false,
  };
  if (isIP(host)) out.address = host;
  else {
    try {
      out.address = (await withTimeout(lookup(host), timeoutMs, 'DNS lookup')).address;
    } catch (error) {
      out.dnsError = errorCode(error);
      return out;
    }
  }
  const attempt = async (withClientCert: boolean): Promise<Handshake | undefined> => {
    let socket: Socket;
    try {
      socket = await openTcp(out.address!, port, timeoutMs);
    } catch (error) {
      out.tcpError = errorCode(error);
      return undefined;
    }
    try {
      return await handshake(socket, host, tls, withClientCert, timeoutMs);
    } catch (error) {
      out.handshakeError = errorCode(error);
      return undefined;
    }
  };
  let found = await attempt(false);
  if (!found && out.handshakeError && tls.cert && tls.key) {
    out.handshakeError = null;
    found = await attempt(true);
    out.presentedClientCert = found !== undefined;
  }
  if (!found) return out;
  out.protocol = found.protocol;
  out.cipher = found.cipher;
  out.chainError = found.chainError;
  if (found.peer.raw?.length) {
    out.leaf = new X509Certificate(found.peer.raw);
    out.identityError = checkServerIdentity(host, found.peer)?.message ?? null;
  } else {
    out.identityError = 'the server presented no certificate';
  }
  return out;
}
