// Loads the TLS material a profile names, once, before any connection is made, so a missing file
// or a wrong key passphrase is reported clearly instead of as an obscure handshake failure.

import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TlsOrAuthError, UsageError } from '../errors.js';
import { assertPrivateFile } from '../security/private-files.js';

export interface TlsMaterial {
  /** Trusted CA bundle. When set it replaces the system store: only this CA is trusted. */
  ca?: Buffer;
  cert?: Buffer;
  /** Decrypted PEM: decryption happens here so a wrong passphrase is caught with a clear error. */
  key?: string;
  /** Allowed server public keys ("sha256/BASE64" of the SPKI); none means no pinning. */
  pins?: readonly string[];
}

export interface TlsFilePaths {
  cacert?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  pins?: readonly string[] | undefined;
}

function readPemFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot read ${what} ${path} (${code})`, 'fix the path in the profile (`patrol profile show`)');
  }
}

const ENCRYPTED_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/u;

export function isEncryptedKey(pem: Buffer | string): boolean {
  return ENCRYPTED_KEY.test(pem.toString());
}

/**
 * Read CA, certificate and key files. `passphrase` is asked for lazily (only when the key is
 * encrypted) so operators with plain keys never need one.
 */
export async function loadTlsMaterial(
  paths: TlsFilePaths,
  what: string,
  passphrase: () => Promise<string | undefined>,
  passphraseHint: string,
): Promise<TlsMaterial> {
  const material: TlsMaterial = {};
  if (paths.pins?.length) material.pins = [...paths.pins];
  if (paths.cacert) material.ca = readPemFile(paths.cacert, `${what} CA file`);
  if (paths.cert && !paths.key) throw new UsageError(`${what} client certificate is set but its key is not`, 'add the key file to the profile');
  if (paths.key && !paths.cert) throw new UsageError(`${what} client key is set but its certificate is not`, 'add the certificate file to the profile');
  if (paths.cert && paths.key) {
    material.cert = readPemFile(paths.cert, `${what} client certificate`);
    assertPrivateFile(paths.key, `${what} client key`);
    const keyPem = readPemFile(paths.key, `${what} client key`);
    let secret: string | undefined;
    if (isEncryptedKey(keyPem)) {
      secret = await passphrase();
      if (secret === undefined) {
        throw new UsageError(`${what} client key ${paths.key} is encrypted and no passphrase was given`, passphraseHint);
      }
    }
    try {
      const key = createPrivateKey(secret === undefined ? { key: keyPem } : { key: keyPem, passphrase: secret });
      material.key = key.export({ type: 'pkcs8', format: 'pem' }).toString();
    } catch {
      throw secret === undefined
        ? new UsageError(`${what} client key ${paths.key} is not a readable private key`, 'point the profile at a PEM private key')
        : new TlsOrAuthError(`cannot decrypt ${what} client key ${paths.key}: wrong passphrase`, passphraseHint);
    }
  }
  return material;
}
