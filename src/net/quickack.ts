// TCP_QUICKACK on connections to Patroni's REST API.
//
// Patroni answers over HTTP/1.0 and writes the response headers and the body in two sends. With
// Nagle's algorithm on the server, the body waits until the headers are acknowledged, and a Linux
// client delays that acknowledgement by up to 40 ms. Every request therefore costs ~45 ms of
// nothing. Asking the kernel to acknowledge at once (TCP_QUICKACK) once the request is written
// removes the stall: one mutual-TLS GET /cluster drops from ~55 ms to ~12 ms (measured with
// `npm run bench`).
//
// Node has no setsockopt, so this uses the tiny `sockopt` binding (an optional dependency:
// setsockopt/getsockopt on an fd, ~60 lines of C, compiled at install time where a C++ toolchain
// exists). The option exists on Linux only, and the native code is never loaded elsewhere.
// Everything here is best effort: when the binding is missing, fails to load, or the call fails,
// nothing happens — an install or a request never fails because of it. PATROL_TCP_QUICKACK=off
// skips it (and never loads the native code).

import type { ClientRequest } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

const IPPROTO_TCP = 6;
const TCP_QUICKACK = 12; // linux/tcp.h

type SetSockOpt = (fd: number, level: number, option: number, value: number) => void;

/** undefined: not loaded yet; null: unavailable on this machine. */
let setsockopt: SetSockOpt | null | undefined;

export function quickAckWanted(platform: string, setting: string | undefined): boolean {
  return platform === 'linux' && setting !== 'off' && setting !== '0';
}

function binding(): SetSockOpt | null {
  if (setsockopt !== undefined) return setsockopt;
  setsockopt = null;
  if (!quickAckWanted(process.platform, process.env['PATROL_TCP_QUICKACK'])) return null;
  // Loaded on first use only, through require so the bundler leaves the native module alone.
  const require = createRequire(import.meta.url);
  try {
    // The binary compiled at install time, directly (its setsockopt takes the fd): skips the
    // package's search for a binary, a few ms on every run. (The package's "prebuilt" Linux
    // binaries are macOS files in 2.0.1, so on Linux this locally built one is what runs.)
    const native = require('sockopt/build/Release/sockopt.node') as { setsockopt?: unknown };
    if (typeof native.setsockopt === 'function') return (setsockopt = native.setsockopt as SetSockOpt);
  } catch {
    // Not built here: let the package look for a binary itself.
  }
  try {
    const loaded = require('sockopt') as { setsockopt?: unknown };
    if (typeof loaded.setsockopt === 'function') {
      const set = loaded.setsockopt as (socket: { _handle: { fd: number } }, level: number, option: number, value: number) => void;
      setsockopt = (fd, level, option, value) => set({ _handle: { fd } }, level, option, value);
    }
  } catch {
    // Not installed (an optional dependency): no quick ACKs.
  }
  return setsockopt;
}

/** The file descriptor behind a TCP or TLS socket, when Node exposes it. */
function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** Acknowledge incoming data on this socket at once (until the kernel falls back to delaying). */
export function quickAck(socket: Socket | null | undefined): void {
  if (!socket) return;
  const fd = socketFd(socket);
  if (fd === undefined) return;
  const set = binding();
  if (!set) return;
  try {
    set(fd, IPPROTO_TCP, TCP_QUICKACK, 1);
  } catch {
    // A closed socket or an unsupported option: the request simply goes on without it.
  }
}

/** Set TCP_QUICKACK once the request has been written: the answer is what we wait for. */
export function armQuickAck(request: ClientRequest): void {
  request.once('finish', () => quickAck(request.socket));
}
