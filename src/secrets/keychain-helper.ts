// Runs one OS keychain operation in a short-lived child process. The keychain library's entry
// constructor talks to D-Bus synchronously, and a wedged session bus or Secret Service makes it
// block forever: no in-process timeout can interrupt that. A child process can always be killed,
// so keychain.ts bounds every call by killing this helper when it does not answer in time.
//
// Protocol: one JSON request on stdin, one JSON reply line on stdout. The secret travels only
// through these pipes, never through argv or the environment.

import { readAll } from '../ui/editor.js';
import { classifyKeychainError, type KeychainReply, type KeychainRequest } from './keychain.js';

async function perform(request: KeychainRequest): Promise<KeychainReply> {
  const { AsyncEntry } = await import('@napi-rs/keyring');
  // On Linux the entry is pinned to the Secret Service: without the pin the library silently
  // falls back to the kernel keyring, whose contents vanish at reboot.
  const entry = new AsyncEntry(request.service, request.account, { linux: { store: 'secret-service' } });
  switch (request.op) {
    case 'get':
      return { ok: true, value: await entry.getPassword() };
    case 'set':
      await entry.setPassword(request.value ?? '');
      return { ok: true };
    case 'delete':
      return { ok: true, deleted: await entry.deleteCredential() };
  }
}

async function main(): Promise<void> {
  let reply: KeychainReply;
  try {
    const request = JSON.parse(await readAll(process.stdin)) as KeychainRequest;
    reply = await perform(request);
  } catch (error) {
    // The library's messages name the platform failure, never the secret; the parent still shows
    // them only under --debug.
    const detail = error instanceof Error ? error.message : String(error);
    reply = { ok: false, failure: classifyKeychainError(detail), detail: detail.slice(0, 300) };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}

await main();
