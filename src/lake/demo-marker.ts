import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A data directory the demo built carries this file. Signals count simulator rows only in such a lake, and
 * the demo refuses to write into a directory that holds a lake without it.
 */
export const DEMO_MARKER = '.futures-demo';

export async function isDemoLake(dataDir: string): Promise<boolean> {
  try {
    await access(join(dataDir, DEMO_MARKER));
    return true;
  } catch {
    return false;
  }
}

export async function markDemoLake(dataDir: string): Promise<void> {
  await writeFile(
    join(dataDir, DEMO_MARKER),
    'This data directory was built by `futures demo` from the built-in simulator.\n',
  );
}
