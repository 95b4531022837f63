import * as fs from 'fs';
import * as path from 'path';

/**
 * Every file below `dir`, recursively, as paths relative to it with `/` between folders (so a path
 * reads, and hashes, the same on every system). Folders whose name is in `skip` are left out.
 */
export function filesUnder(dir: string, skip: ReadonlySet<string> = new Set()): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (skip.has(entry.name)) return [];
    return entry.isDirectory() ? filesUnder(path.join(dir, entry.name), skip).map((file) => `${entry.name}/${file}`) : [entry.name];
  });
}
