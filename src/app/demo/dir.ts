/**
 * Where the demo builds its lake. A directory the demo built before (it carries the demo marker) is
 * rebuilt; any other directory that is not empty is refused: simulated rows must never land in a real
 * lake, where the signals would take them for market data (redteam review, finding 7).
 */
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { isRemoteLocation } from '../../delta/index.js';
import { DEMO_MARKER, isDemoLake, lakeDir, markDemoLake } from '../../lake/index.js';
import { queuePaths } from '../../queue/index.js';

/** The default demo directory, relative to the working directory: kept, so the next commands can use it. */
export const DEFAULT_DEMO_DIR = 'demo-data';

export interface DemoDir {
  dataDir: string;
  /** A fresh directory under the system's temp dir (removed afterwards unless kept). */
  temporary: boolean;
  /** A demo lake of an earlier run was cleared first. */
  rebuilt: boolean;
}

/** Simulated rows never go to a lake on an object store (lake.uri), which other machines read as real. */
function refuseRemoteLake(dataDir: string): void {
  const lake = lakeDir(dataDir);
  if (!isRemoteLocation(lake)) return;
  throw new UsageError(`The demo builds a local lake; ${lake} (lake.uri) is on an object store.`, {
    hint: 'Run the demo without --lake / FUTURES_LAKE_URI / lake.uri.',
  });
}

/** Resolves, checks and prepares the demo's data directory, and marks it as the demo's. */
export async function prepareDemoDir(
  options: { dir: string | undefined; temporary: boolean },
  cwd: string,
): Promise<DemoDir> {
  if (options.temporary) {
    const dataDir = await mkdtemp(join(tmpdir(), 'futures-demo-'));
    refuseRemoteLake(dataDir);
    await markDemoLake(dataDir);
    return { dataDir, temporary: true, rebuilt: false };
  }
  const dataDir = resolve(cwd, options.dir ?? DEFAULT_DEMO_DIR);
  refuseRemoteLake(dataDir);
  const info = await stat(dataDir).catch(() => null);
  let rebuilt = false;
  if (info !== null) {
    if (!info.isDirectory())
      throw new UsageError(`demo directory ${dataDir} exists and is not a directory.`, {
        hint: `Give a new or empty directory, e.g. --dir ./${DEFAULT_DEMO_DIR}.`,
      });
    const entries = (await readdir(dataDir)).filter((e) => e !== DEMO_MARKER);
    if (entries.length > 0) {
      if (!(await isDemoLake(dataDir)))
        throw new UsageError(
          `demo directory ${dataDir} is not empty and was not built by \`futures demo\` (no ${DEMO_MARKER} file): the demo would write simulated rows into it.`,
          {
            hint: `Give a new or empty directory, e.g. --dir ./${DEFAULT_DEMO_DIR}, or --temp for a temporary one.`,
          },
        );
      // An earlier demo's lake and queue: start again from nothing, so scenarios and dates never mix.
      await rm(lakeDir(dataDir), { recursive: true, force: true });
      await rm(queuePaths(dataDir).stateDir, { recursive: true, force: true });
      rebuilt = true;
    }
  }
  await mkdir(dataDir, { recursive: true });
  await markDemoLake(dataDir);
  return { dataDir, temporary: false, rebuilt };
}
