// Opens the operator's editor on a private temporary file. The child gets patrol's environment,
// from which every secret was already removed at start-up (see secrets/store.ts).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../errors.js';

export function editorCommand(env: NodeJS.ProcessEnv): string {
  return env['VISUAL'] || env['EDITOR'] || 'vi';
}

export function editInEditor(text: string, env: NodeJS.ProcessEnv): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'patrol-edit-'));
  const file = path.join(dir, 'config.yaml');
  try {
    writeFileSync(file, text, { mode: 0o600 });
    // The editor string may carry arguments ("code --wait"): run it through the shell, with the
    // file name passed as a positional parameter so it is never parsed as shell syntax.
    const result = spawnSync('/bin/sh', ['-c', `${editorCommand(env)} "$1"`, 'patrol-editor', file], { stdio: 'inherit', env });
    if (result.status !== 0) throw new UsageError(`the editor (${editorCommand(env)}) exited with status ${String(result.status)}`, 'set $EDITOR to a working editor; nothing was changed');
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}
