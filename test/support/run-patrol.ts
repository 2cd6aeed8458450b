// Runs the real patrol CLI (bin/patrol → dist/src/cli.js) as a child process, the way an operator
// or a script would, capturing stdout, stderr and the exit code.

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const PATROL_BIN = path.join(REPO_ROOT, 'bin', 'patrol');

export interface PatrolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  configDir?: string;
  input?: string;
  timeoutMs?: number;
}

let stateDir: string | undefined;

/** Where patrol runs started by this test process keep their audit log (unless a test overrides it). */
export function testStateDir(): string {
  return (stateDir ??= mkdtempSync(path.join(tmpdir(), 'patrol-state-')));
}

/** A fresh, empty patrol config directory. */
export function tempConfigDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'patrol-cfg-'));
}

export function runPatrol(args: string[], options: RunOptions = {}): Promise<PatrolRun> {
  const env: Record<string, string> = {};
  // Start from a minimal environment so the developer's own PATROL_* settings never leak in.
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) if (process.env[key]) env[key] = process.env[key]!;
  if (options.configDir) env['PATROL_CONFIG_DIR'] = options.configDir;
  // Actions append to the audit log: keep test runs out of the developer's own log.
  env['PATROL_STATE_DIR'] = testStateDir();
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PATROL_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
