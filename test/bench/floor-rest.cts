// Floor program for `patrol list --source rest`: the least a Node.js process can do to show a
// cluster through the Patroni REST API — one mutual-TLS GET /cluster with node:https and the body
// written to stdout. CommonJS and nothing else loaded, like patrol's bundle. patrol is measured
// against this.
//
//   node floor-rest.cjs URL CA CERT KEY [quickack]
//
// With "quickack", TCP_QUICKACK is set once the request is written, as patrol does
// (src/net/quickack.ts), so the comparison is like for like whichever way patrol runs.

import { readFileSync } from 'node:fs';
import { request } from 'node:https';

const [url, ca, cert, key, mode] = process.argv.slice(2) as [string, string, string, string, string | undefined];

const req = request(`${url}/cluster`, { ca: readFileSync(ca), cert: readFileSync(cert), key: readFileSync(key), agent: false }, (res) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => process.stdout.write(Buffer.concat(chunks)));
});
if (mode === 'quickack') {
  const { setsockopt } = require('sockopt/build/Release/sockopt.node') as { setsockopt: (fd: number, level: number, option: number, value: number) => void };
  req.once('finish', () => setsockopt((req.socket as unknown as { _handle: { fd: number } })._handle.fd, 6, 12, 1));
}
req.end();
