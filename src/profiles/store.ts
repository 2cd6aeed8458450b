// The profile file lives at $PATROL_CONFIG_DIR/profiles.yaml (default $XDG_CONFIG_HOME/patrol or
// ~/.config/patrol). It is written atomically (temp file + rename) with mode 0600 in a 0700
// directory: it holds no secrets, but it names the key files that unlock the cluster.

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../errors.js';
import { parseProfile, type Profile, type ProfileFile } from './schema.js';
import { assertPrivateFile } from '../security/private-files.js';

export function configDir(env: NodeJS.ProcessEnv): string {
  if (env['PATROL_CONFIG_DIR']) return path.resolve(env['PATROL_CONFIG_DIR']);
  const base = env['XDG_CONFIG_HOME'] ? env['XDG_CONFIG_HOME'] : path.join(env['HOME'] ?? os.homedir(), '.config');
  return path.join(base, 'patrol');
}

export interface ProfileStore {
  readonly file: string;
  load(): Promise<ProfileFile>;
  save(data: ProfileFile): Promise<void>;
}

export class FileProfileStore implements ProfileStore {
  readonly file: string;

  constructor(private readonly dir: string) {
    this.file = path.join(dir, 'profiles.yaml');
  }

  async load(): Promise<ProfileFile> {
    // The file decides where credentials are sent: refuse it if others could read or swap it.
    assertPrivateFile(this.file, 'profile file');
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
      throw new UsageError(`cannot read profile file ${this.file}`, 'check its permissions');
    }
    let raw: unknown;
    try {
      // patrol writes the file as JSON (which is YAML), readable without loading a YAML parser:
      // that saves ~17 ms on every command. A file edited into other YAML still loads.
      raw = JSON.parse(text);
    } catch {
      try {
        raw = (await import('yaml')).parse(text);
      } catch {
        throw new UsageError(`profile file ${this.file} is not valid YAML`, 'fix or remove it');
      }
    }
    return parseProfileFile(raw ?? {}, this.file);
  }

  async save(data: ProfileFile): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await fs.chmod(this.dir, 0o700);
    const temp = `${this.file}.${process.pid}.tmp`;
    const handle = await fs.open(temp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(data, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, this.file);
  }
}

function parseProfileFile(raw: unknown, file: string): ProfileFile {
  if (typeof raw !== 'object' || raw === null) throw new UsageError(`profile file ${file} is not a mapping`);
  const record = raw as Record<string, unknown>;
  const profilesRaw = (record['profiles'] ?? {}) as Record<string, unknown>;
  const profiles: Record<string, Profile> = {};
  for (const [name, value] of Object.entries(profilesRaw)) profiles[name] = parseProfile(name, value);
  const current = typeof record['current'] === 'string' ? record['current'] : undefined;
  return current === undefined ? { profiles } : { current, profiles };
}

/** Pick the profile a command runs against: --profile / PATROL_PROFILE, else the current one. */
export function selectProfile(data: ProfileFile, requested: string | undefined): { name: string; profile: Profile } {
  const names = Object.keys(data.profiles);
  const name = requested ?? data.current ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) {
    throw new UsageError(
      names.length === 0 ? 'no profile configured' : 'no profile selected',
      names.length === 0
        ? 'create one with `patrol profile add NAME --cluster SCOPE --rest-url https://HOST:8008 …` (or `npm run sandbox`)'
        : `pass --profile NAME or run \`patrol profile use NAME\` (profiles: ${names.join(', ')})`,
    );
  }
  const profile = data.profiles[name];
  if (!profile) {
    throw new UsageError(`unknown profile "${name}"`, names.length ? `known profiles: ${names.join(', ')}` : 'create it with `patrol profile add`');
  }
  return { name, profile };
}
