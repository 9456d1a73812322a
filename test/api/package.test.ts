/**
 * The library as a consumer gets it: `npm pack`, the tarball unpacked into a project's node_modules, then
 * `import('futures-signals')` from that project and a TypeScript consumer checked against the shipped
 * declarations. The documents it computes equal what the CLI prints for the same lake and instant.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMemoryConnection } from '../../src/delta/index.js';
import { appendBars, type BarRecord } from '../../src/lake/index.js';
import { buildSignalLake } from '../commands/signals/lake-fixture.js';
import { ROOT, runBin } from '../helpers/bin.js';

const AS_OF = '2026-03-10T13:25:00Z';
let work: string;
let project: string;
let lake: string;

async function memory() {
  const db = await openMemoryConnection();
  connections.push(db);
  return db.connection;
}
const connections: Array<{ close(): void }> = [];

/** ES daily bars for the trade dates of February and early March 2026 (weekdays). */
function dailyBars(): BarRecord[] {
  const bars: BarRecord[] = [];
  for (
    let day = Date.parse('2026-02-02T00:00:00Z');
    day <= Date.parse('2026-03-09T00:00:00Z');
    day += 86_400_000
  ) {
    const ts = new Date(day);
    if (ts.getUTCDay() === 0 || ts.getUTCDay() === 6) continue;
    const close = 6000 + ((day / 86_400_000) % 7);
    const base = {
      ts,
      tradeDate: ts.toISOString().slice(0, 10),
      symbol: 'ES',
      conId: 1,
      localSymbol: 'ESH6',
    };
    bars.push({
      ...base,
      barSize: '1 day',
      whatToShow: 'TRADES',
      open: close,
      high: close + 5,
      low: close - 5,
      close,
      volume: 1000,
      wap: close,
      count: 100,
      source: 'backfill',
    });
  }
  return bars;
}

async function linkDependencies(nodeModules: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const name of Object.keys(manifest.dependencies)) {
    const at = join(nodeModules, name);
    await mkdir(dirname(at), { recursive: true });
    await symlink(join(ROOT, 'node_modules', name), at, 'dir');
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'futures-api-'));
  lake = join(work, 'lake');
  await buildSignalLake(lake, { crash: true });
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: ROOT,
  });
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  project = join(work, 'consumer');
  const installed = join(project, 'node_modules', 'futures-signals');
  await mkdir(installed, { recursive: true });
  await execa('tar', ['-xzf', join(work, filename), '-C', installed, '--strip-components=1']);
  await linkDependencies(join(project, 'node_modules'));
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module' }));
}, 120_000);

afterAll(async () => {
  for (const db of connections) db.close();
  await rm(work, { recursive: true, force: true });
});

describe('futures-signals as a library', () => {
  it('imports by package name and computes the documents the CLI prints', async () => {
    const script = `
      import { FUTURES_DOCUMENT_SCHEMAS, openLake, PREMARKET_SCHEMA_ID, premarketDocumentSchema } from 'futures-signals';
      const lake = openLake({ dataDir: ${JSON.stringify(lake)}, now: () => new Date('2026-03-10T16:00:00Z') });
      const premarket = await lake.premarket({ asOf: '${AS_OF}' });
      const regime = await lake.regime({ asOf: '${AS_OF}' });
      // A naive time is ET, as on the command line: 09:00 EDT is 13:00Z.
      const rows = await lake.snapshots({ from: '2026-03-10 09:00', to: '${AS_OF}', symbols: ['ES'] });
      const tables = await lake.tables();
      premarketDocumentSchema.parse(premarket);
      const statusSchema = FUTURES_DOCUMENT_SCHEMAS['futures.status/v3'];
      if (!statusSchema || statusSchema.safeParse({}).success) throw new Error('no status schema');
      process.stdout.write(JSON.stringify({ schemaId: PREMARKET_SCHEMA_ID, premarket, regime, rows: rows.length,
        firstRow: rows[0], tables: tables.map((t) => t.name) }));
    `;
    await writeFile(join(project, 'consumer.mjs'), script);
    const run = await execa(process.execPath, ['consumer.mjs'], { cwd: project, reject: false });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.rows).toBe(6); // 13:00..13:25 every 5 minutes
    expect(out.firstRow.symbol).toBe('ES');
    expect(out.tables).toContain('futures_snapshots');

    const args = ['--as-of', AS_OF, '--json', '--no-record', '--data-dir', lake];
    const cliPremarket = await runBin('signals', ['premarket', ...args]);
    const cliRegime = await runBin('signals', ['regime', ...args]);
    expect(cliPremarket.exitCode).toBe(0);
    expect(out.premarket).toEqual(JSON.parse(cliPremarket.stdout));
    expect(out.regime).toEqual(JSON.parse(cliRegime.stdout));
    expect(out.premarket.schema).toBe(out.schemaId);
  }, 60_000);

  it('throws errors with a kind for a lake that holds nothing', async () => {
    const empty = join(work, 'empty');
    await mkdir(empty);
    const script = `
      import { openLake, isUserError } from 'futures-signals';
      try {
        await openLake({ dataDir: ${JSON.stringify(empty)} }).premarket();
        process.stdout.write('no error');
      } catch (error) {
        process.stdout.write(JSON.stringify({ user: isUserError(error), kind: error.kind }));
      }
    `;
    await writeFile(join(project, 'empty.mjs'), script);
    const run = await execa(process.execPath, ['empty.mjs'], { cwd: project, reject: false });
    expect(JSON.parse(run.stdout)).toEqual({ user: true, kind: 'stale' });
  }, 60_000);

  it('runs every Node recipe of docs/strategy-builder.md', async () => {
    const recipes = join(work, 'recipes-lake');
    await buildSignalLake(recipes, { crash: true });
    await appendBars(await memory(), recipes, dailyBars());
    for (const asOf of ['2026-03-09 09:25', '2026-03-10 09:25']) {
      const recorded = await runBin('signals', [
        'premarket',
        '--as-of',
        asOf,
        '--record',
        '--data-dir',
        recipes,
      ]);
      expect(recorded.exitCode).toBe(0);
    }
    const guide = await readFile(join(ROOT, 'docs', 'strategy-builder.md'), 'utf8');
    const blocks = [...guide.matchAll(/```js recipe\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(blocks).toHaveLength(4);
    const outputs: string[][] = [];
    for (const [i, block] of blocks.entries()) {
      await writeFile(join(project, `recipe-${i}.mjs`), block);
      const run = await execa(process.execPath, [`recipe-${i}.mjs`, '2026-03-10'], {
        cwd: project,
        reject: false,
        env: { FUTURES_DATA_DIR: recipes },
      });
      expect(run.stderr, `recipe ${i}`).toBe('');
      expect(run.exitCode, `recipe ${i}`).toBe(0);
      outputs.push(run.stdout.trim().split('\n'));
    }
    const [overnight, daily, runs, joined] = outputs as [string[], string[], string[], string[]];
    expect(overnight).toHaveLength(6); // 03-09 and 03-10 × ES, NQ, RTY (03-06 has no prior close in the lake)
    const esCrash = overnight.find((l) => l.startsWith('2026-03-10\tES')) ?? '';
    expect(esCrash).toMatch(/2026-03-09 16:00 → 2026-03-10 09:25 ET\t-1\.\d\d%/);
    expect(daily).toHaveLength(5);
    expect(daily.at(-1)).toMatch(/^2026-03-09\tESH6\t/);
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatch(/^2026-03-10 09:25 ET\t(bear|lean_bear|strong_bear)\t/);
    expect(joined.length).toBeGreaterThanOrEqual(4);
    for (const line of joined) expect(line).toMatch(/\tH6 bid|RTYH6 bid|ESH6 bid|NQH6 bid/);
  }, 120_000);

  it('type-checks a TypeScript consumer against the shipped declarations', async () => {
    await writeFile(
      join(project, 'consumer.ts'),
      `import { openLake, type PremarketDocument, type SnapshotRecord } from 'futures-signals';
       const lake = openLake({ dataDir: './lake' });
       export async function bias(): Promise<PremarketDocument['decision']['bias']> {
         const rows: SnapshotRecord[] = await lake.snapshots({ from: new Date(0), to: new Date() });
         void rows;
         return (await lake.premarket({ symbols: ['ES'] })).decision.bias;
       }
       // @ts-expect-error: not a symbol the signals know
       lake.premarket({ symbols: ['XX'] });
      `,
    );
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'ES2023',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const run = await execa(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, reject: false });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
  }, 60_000);
});
