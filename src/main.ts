// Process entry point (bin/patrol runs this, bundled into dist/bundle/patrol.js by `npm run build`).
// `patrol --version` is answered here, before the CLI module and its dependencies are loaded:
// it is what scripts and monitoring call most often to probe for patrol.

import { PATROL_VERSION } from './version.js';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${PATROL_VERSION}\n`);
} else {
  void import('./cli.js').then(({ main }) => main(argv));
}
