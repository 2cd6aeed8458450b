import { loadYaml, render, toYaml } from '../ui/format.js';
import type { CommandSpec } from './types.js';

export const showConfigCommand: CommandSpec = {
  command: 'show-config',
  describe: "Show the cluster's dynamic configuration (as stored in the DCS)",
  flags: {},
  async run(ctx, args) {
    const session = await ctx.session(args);
    const [config] = await Promise.all([session.readConfig(), loadYaml()]);
    ctx.term.write(render(args.format, { data: config, pretty: () => toYaml(config) }));
    return 0;
  },
};
