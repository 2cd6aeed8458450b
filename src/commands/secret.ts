// `patrol secret list`: which secrets the profile needs and where each would come from. Values
// are never shown, in any format.

import { neededSecrets } from '../secrets/needs.js';
import { SECRET_ENV_VARS, SECRET_KINDS } from '../secrets/store.js';
import { SecretLookup } from '../secrets/stores.js';
import { render } from '../ui/format.js';
import { profileAndStore } from './login.js';
import type { CommandSpec } from './types.js';

const listSecretsCommand: CommandSpec = {
  command: 'list',
  describe: 'Show which secrets the profile needs and which are stored (never their values)',
  async run(ctx, args) {
    const { name, profile, store } = await profileAndStore(ctx, args);
    const needed = neededSecrets(profile);
    const rows = [];
    for (const kind of SECRET_KINDS) {
      const need = needed.find((n) => n.kind === kind);
      const stored = (await store.get({ profile: name, kind })) !== undefined;
      // Only presence is reported, never a value.
      const inEnvironment = ctx.secrets instanceof SecretLookup && (await ctx.secrets.inEnvironment({ profile: name, kind }));
      rows.push({ kind, needed: need !== undefined, why: need?.why ?? null, stored, store: store.kind, environment: inEnvironment ? SECRET_ENV_VARS[kind] : null });
    }
    ctx.term.write(
      render(args.format, {
        data: { profile: name, store: store.kind, secrets: rows },
        table: {
          columns: ['Secret', 'Needed', `Stored (${store.kind})`, 'Environment', 'For'],
          rows: rows.map((r) => [r.kind, r.needed ? 'yes' : 'no', r.stored ? 'yes' : 'no', r.environment ?? '', r.why ?? '']),
        },
      }),
    );
    return 0;
  },
};

export const secretSubcommands: CommandSpec[] = [listSecretsCommand];
