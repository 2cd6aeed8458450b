// Floor program for `patrol list` in DCS mode (and `list --all`): the same etcd calls patrol
// makes, and nothing else — authenticate, then one linearizable range over a key prefix through
// etcd's JSON gateway, on one kept-alive mutual-TLS connection, with the raw answer on stdout.
// CommonJS, like patrol's bundle.
//
//   PATROL_DCS_PASSWORD=… node floor-dcs.cjs URL CA CERT KEY USER PREFIX

import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

const [url, ca, cert, key, user, prefix] = process.argv.slice(2) as [string, string, string, string, string, string];
const agent = new Agent({ keepAlive: true, ca: readFileSync(ca), cert: readFileSync(cert), key: readFileSync(key) });

function post(path: string, body: unknown, token?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** etcd's range_end for "every key starting with prefix". */
function rangeEnd(text: string): Buffer {
  const bytes = Buffer.from(text);
  bytes[bytes.length - 1]! += 1;
  return bytes;
}

void (async () => {
  const auth = JSON.parse((await post('/v3/auth/authenticate', { name: user, password: process.env['PATROL_DCS_PASSWORD'] })).toString()) as { token: string };
  const range = await post('/v3/kv/range', { key: Buffer.from(prefix).toString('base64'), range_end: rangeEnd(prefix).toString('base64') }, auth.token);
  process.stdout.write(range);
  agent.destroy();
})();
