import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Everything under a folder, sorted: files with their size, symlinks with their target (a cache layout to compare). */
export function tree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) out.push(`${prefix}${name} -> ${readlinkSync(p)}`);
    else if (st.isDirectory()) out.push(...tree(p, `${prefix}${name}/`));
    else out.push(`${prefix}${name} (${st.size})`);
  }
  return out;
}
