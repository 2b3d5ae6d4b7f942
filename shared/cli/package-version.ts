/**
 * The version `signservice --version` prints: package.json's, found by walking up from this module, so it
 * is the same from dist/shared/cli/main.js (tsc's output) and from dist/cli/signservice.mjs (the bundle).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's name and version, or undefined when no package.json of SignService is above this file. */
export function packageVersion(from: string = import.meta.url): { name: string; version: string } | undefined {
  let dir = path.dirname(fileURLToPath(from));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'signservice' && typeof pkg.version === 'string')
        return { name: pkg.name, version: pkg.version };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
