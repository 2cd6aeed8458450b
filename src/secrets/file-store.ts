// An encrypted secret file for hosts with no OS keychain (headless servers, containers).
//
// Layout (all integers single bytes):
//   magic "PATROLSS" | version | log2(N) | r | p | salt (16) | nonce (12) | ciphertext | tag (16)
// The key is scrypt(passphrase, salt, N, r, p); the content (JSON of every profile's secrets) is
// sealed with AES-256-GCM, with the whole header as additional authenticated data, so no byte of
// the file can change without the open failing. The scrypt cost is read from the header, so it is
// checked against fixed bounds before any work: a tampered header cannot make patrol spend
// minutes or gigabytes deriving a key.

import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, type ScryptOptions } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TlsOrAuthError, UsageError } from '../errors.js';
import { registerSecret } from './redact.js';
import { type SecretKind, type SecretRef, type SecretStore, SecretStoreUnavailableError } from './store.js';

export const STORE_FILE_NAME = 'secrets.enc';
export const STORE_PASSPHRASE_ENV = 'PATROL_STORE_PASSPHRASE';

const MAGIC = Buffer.from('PATROLSS', 'ascii');
const VERSION = 1;
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + 4 + SALT_BYTES + NONCE_BYTES;
export const MIN_PASSPHRASE_LENGTH = 8;

export interface ScryptCost {
  log2N: number;
  r: number;
  p: number;
}

/** ~32 MiB and a fraction of a second per open: patrol derives the key once per run. */
export const DEFAULT_COST: ScryptCost = { log2N: 15, r: 8, p: 1 };

/** Bounds a header's cost must fall within: weaker is unsafe, stronger is a denial of service. */
export const COST_BOUNDS = { log2N: [14, 20], r: [8, 16], p: [1, 4], maxMemoryBytes: 256 * 1024 * 1024 } as const;

/** Thrown for anything wrong with the file itself; the message never includes file content. */
export class SecretFileError extends TlsOrAuthError {}

export function validateCost(cost: ScryptCost): void {
  const within = (v: number, [lo, hi]: readonly [number, number]): boolean => Number.isInteger(v) && v >= lo && v <= hi;
  const memory = 128 * 2 ** cost.log2N * cost.r;
  if (!within(cost.log2N, COST_BOUNDS.log2N) || !within(cost.r, COST_BOUNDS.r) || !within(cost.p, COST_BOUNDS.p) || memory > COST_BOUNDS.maxMemoryBytes) {
    throw new SecretFileError(
      `the secret store's key-derivation cost is out of bounds (N=2^${cost.log2N}, r=${cost.r}, p=${cost.p}); the file was damaged or tampered with`,
      'restore it from a backup, or delete it and run `patrol login` again',
    );
  }
}

export function deriveKey(passphrase: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  validateCost(cost);
  const N = 2 ** cost.log2N;
  const options: ScryptOptions = { N, r: cost.r, p: cost.p, maxmem: 2 * 128 * N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCallback(passphrase.normalize('NFC'), salt, 32, options, (error, key) => (error ? reject(error) : resolve(key))));
}

interface Header {
  cost: ScryptCost;
  salt: Buffer;
  nonce: Buffer;
  bytes: Buffer;
}

function encodeHeader(cost: ScryptCost, salt: Buffer, nonce: Buffer): Buffer {
  return Buffer.concat([MAGIC, Buffer.from([VERSION, cost.log2N, cost.r, cost.p]), salt, nonce]);
}

/** Parse (and bound-check) a header; pure, so tampering cases are unit-tested without files. */
export function parseHeader(file: Buffer, where: string): Header {
  if (file.length < HEADER_BYTES + TAG_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SecretFileError(`${where} is not a patrol secret store`, 'restore it from a backup, or delete it and run `patrol login` again');
  }
  const version = file[MAGIC.length]!;
  if (version !== VERSION) throw new SecretFileError(`${where} has unsupported format version ${version}`, 'use the patrol version that wrote it');
  const cost = { log2N: file[MAGIC.length + 1]!, r: file[MAGIC.length + 2]!, p: file[MAGIC.length + 3]! };
  validateCost(cost);
  const saltAt = MAGIC.length + 4;
  return {
    cost,
    salt: file.subarray(saltAt, saltAt + SALT_BYTES),
    nonce: file.subarray(saltAt + SALT_BYTES, HEADER_BYTES),
    bytes: file.subarray(0, HEADER_BYTES),
  };
}

export type StoreContent = Record<string, Partial<Record<SecretKind, string>>>;

export function seal(content: StoreContent, key: Buffer, cost: ScryptCost, salt: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES); // fresh for every write: GCM must never reuse a nonce under one key
  const header = encodeHeader(cost, salt, nonce);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(JSON.stringify({ v: 1, secrets: content }), 'utf8'), cipher.final()]);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

export function open(file: Buffer, key: Buffer, where: string): StoreContent {
  const header = parseHeader(file, where);
  const decipher = createDecipheriv('aes-256-gcm', key, header.nonce);
  decipher.setAAD(header.bytes);
  decipher.setAuthTag(file.subarray(file.length - TAG_BYTES));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(file.subarray(HEADER_BYTES, file.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SecretFileError(`cannot open the secret store ${where}: wrong passphrase, or the file was modified`, `check ${STORE_PASSPHRASE_ENV} or the passphrase you typed`);
  }
  const parsed = JSON.parse(plain.toString('utf8')) as { v?: number; secrets?: StoreContent };
  return parsed.secrets ?? {};
}

/** Where the passphrase comes from: the environment (taken at start-up) or a hidden prompt. */
export interface PassphraseSource {
  /** `creating` is true when no store exists yet: a prompt then asks twice. */
  passphrase(creating: boolean): Promise<string | undefined>;
}

export interface FileStoreOptions {
  dir: string;
  passphrase: PassphraseSource;
  cost?: ScryptCost;
  /** Owner the file must have; defaults to the current user. */
  uid?: number;
}

export class FileSecretStore implements SecretStore {
  readonly kind = 'file' as const;
  readonly file: string;
  private unlocked: { key: Buffer; salt: Buffer; cost: ScryptCost; content: StoreContent } | undefined;

  constructor(private readonly options: FileStoreOptions) {
    this.file = path.join(options.dir, STORE_FILE_NAME);
  }

  get description(): string {
    return `the encrypted file ${this.file}`;
  }

  async get(ref: SecretRef): Promise<string | undefined> {
    const state = await this.unlock(false);
    if (!state) return undefined;
    const value = state.content[ref.profile]?.[ref.kind];
    registerSecret(value);
    return value;
  }

  async set(ref: SecretRef, value: string): Promise<void> {
    registerSecret(value);
    const state = (await this.unlock(true))!;
    (state.content[ref.profile] ??= {})[ref.kind] = value;
    await this.write(state);
  }

  async delete(ref: SecretRef): Promise<boolean> {
    const state = await this.unlock(false);
    const entry = state?.content[ref.profile];
    if (!state || !entry || entry[ref.kind] === undefined) return false;
    delete entry[ref.kind];
    if (Object.keys(entry).length === 0) delete state.content[ref.profile];
    await this.write(state);
    return true;
  }

  /** Read and decrypt the file once per run. Returns undefined when there is no file (and `create` is false). */
  private async unlock(create: boolean): Promise<FileSecretStore['unlocked']> {
    if (this.unlocked) return this.unlocked;
    const bytes = await this.readChecked();
    if (bytes === undefined) {
      if (!create) return undefined;
      const passphrase = await this.requirePassphrase(true);
      if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
        throw new UsageError(`the secret store passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters`, 'choose a longer one');
      }
      const cost = this.options.cost ?? DEFAULT_COST;
      const salt = randomBytes(SALT_BYTES);
      this.unlocked = { key: await deriveKey(passphrase, salt, cost), salt, cost, content: {} };
      return this.unlocked;
    }
    const header = parseHeader(bytes, this.file); // bounds are checked before the passphrase is even asked for
    const key = await deriveKey(await this.requirePassphrase(false), header.salt, header.cost);
    this.unlocked = { key, salt: Buffer.from(header.salt), cost: header.cost, content: open(bytes, key, this.file) };
    return this.unlocked;
  }

  private async requirePassphrase(creating: boolean): Promise<string> {
    const passphrase = await this.options.passphrase.passphrase(creating);
    if (passphrase === undefined || passphrase === '') {
      throw new SecretStoreUnavailableError(
        `the secret store ${this.file} needs its passphrase`,
        `set ${STORE_PASSPHRASE_ENV} in the environment, or run patrol on a terminal to be asked for it`,
      );
    }
    registerSecret(passphrase);
    return passphrase;
  }

  /** The file's bytes, after refusing one that others could read or that someone else owns. */
  private async readChecked(): Promise<Buffer | undefined> {
    let handle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SecretFileError(`cannot read the secret store ${this.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'check its permissions');
    }
    try {
      // Checked on the open descriptor, so the file cannot be swapped between check and read.
      const stat = await handle.stat();
      const uid = this.options.uid ?? process.getuid?.();
      if (!stat.isFile()) throw new SecretFileError(`the secret store ${this.file} is not a regular file`, 'remove it');
      if (uid !== undefined && stat.uid !== uid) {
        throw new SecretFileError(`the secret store ${this.file} is owned by another user (uid ${stat.uid})`, 'use your own store; never share one between users');
      }
      if ((stat.mode & 0o077) !== 0) {
        throw new SecretFileError(
          `the secret store ${this.file} is readable or writable by other users (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')})`,
          `restrict it with \`chmod 600 ${this.file}\` and consider its secrets exposed`,
        );
      }
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  /** Atomic replace: a private temp file, fsync, rename over the old one, fsync the directory. */
  private async write(state: NonNullable<FileSecretStore['unlocked']>): Promise<void> {
    const dir = this.options.dir;
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.chmod(dir, 0o700); // mkdir's mode is filtered by the umask, and an existing dir keeps its own
    const sealed = seal(state.content, state.key, state.cost, state.salt);
    const temp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(sealed);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await fs.rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    await fs.rename(temp, this.file);
    const dirHandle = await fs.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}
