import { readFileSync } from 'node:fs';

/** patrol's own version, from package.json (read once, at start-up). */
export const PATROL_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();
