// Bundles the compiled CLI (dist/src, from tsc) into dist/bundle for bin/patrol.
//
// Why (measured with `npm run bench`): Node resolves, reads and compiles every module file on its
// own, and patrol's dependency tree is hundreds of files. The bundle is CommonJS, because Node's
// ES module loader alone costs ~6 ms per run, and it is split where it pays:
//   patrol.js          the entry: answers --version without loading anything else
//   cli.js             all of patrol (commands are initialised only when run)
//   vendor-yargs.js    the full command-line parser, loaded only for help, completion and
//                      command lines the fast lane (src/fast-argv.ts) leaves to it
//   vendor-inquirer.js the prompt library, loaded only when patrol asks a question
//   vendor-yaml.js     the YAML library, loaded only to print YAML or read a hand-written
//                      profile file
//   keychain-helper.js the child process keychain.ts runs (found next to cli.js): a pointer to
//                      the compiled module
// Native modules (@napi-rs/keyring, sockopt) stay outside and load from node_modules.

import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'bundle');

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  external: ['@napi-rs/keyring', 'sockopt'],
  // import() of another bundle file becomes require(): an import() would go through the ES module
  // loader, which first scans the whole CommonJS file for its exports (~30 ms for cli.js).
  supported: { 'dynamic-import': false },
  // The sources are ES modules: give them their own file URL as import.meta.url.
  define: { 'import.meta.url': '__patrolModuleUrl' },
  banner: { js: 'var __patrolModuleUrl=require("node:url").pathToFileURL(__filename).href;' },
};

/** Separately bundled files, imported by name and loaded on first use only. */
const VENDOR = { yargs: 'vendor-yargs.js', '@inquirer/prompts': 'vendor-inquirer.js', yaml: 'vendor-yaml.js' };

const linkVendorAndCli = {
  name: 'link-vendor-and-cli',
  setup(b) {
    b.onResolve({ filter: /^(yargs|@inquirer\/prompts|yaml)$/ }, (args) => ({ path: `./${VENDOR[args.path]}`, external: true }));
    // The entry point loads the CLI bundle at run time instead of containing it.
    b.onResolve({ filter: /^\.\/cli\.js$/ }, (args) => (args.importer.endsWith(`${path.sep}main.js`) ? { path: './cli.js', external: true } : undefined));
  },
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
// The output is CommonJS inside a "type": "module" package.
await writeFile(path.join(outdir, 'package.json'), '{ "type": "commonjs" }\n');

await build({ ...common, stdin: { contents: "module.exports = require('yargs').default;", resolveDir: root, loader: 'js' }, outfile: path.join(outdir, VENDOR.yargs) });
await build({ ...common, stdin: { contents: "module.exports = require('@inquirer/prompts');", resolveDir: root, loader: 'js' }, outfile: path.join(outdir, VENDOR['@inquirer/prompts']) });
await build({ ...common, stdin: { contents: "module.exports = require('yaml');", resolveDir: root, loader: 'js' }, outfile: path.join(outdir, VENDOR.yaml) });

await build({ ...common, entryPoints: { patrol: 'dist/src/main.js', cli: 'dist/src/cli.js' }, outdir, plugins: [linkVendorAndCli] });

// keychain.ts runs keychain-helper.js from its own directory as a child process. The helper is
// an ES module (top-level await) and its start-up time does not matter: point at the compiled one.
if (existsSync(path.join(root, 'dist/src/secrets/keychain-helper.js'))) {
  await writeFile(path.join(outdir, 'keychain-helper.js'), 'import("../src/secrets/keychain-helper.js");\n');
}
