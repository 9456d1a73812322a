import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/bin.js';

const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

/** A small tree breaking one rule per file pair, so each rule of the config is seen to fail. */
const VIOLATIONS: Record<string, string> = {
  'src/core/errors.ts': "import { run } from '../app/run.js';\nexport const x = run;\n",
  'src/app/run.ts': "import { flags } from '../cli/flags.js';\nexport const run = flags;\n",
  'src/cli/flags.ts': 'export const flags = 1;\n',
  'src/delta/log.ts': "import { table } from '../lake/table.js';\nexport const log = table;\n",
  'src/lake/table.ts': "export const table = async () => import('../delta/write.js');\n",
  'src/delta/write.ts': 'export const write = 1;\n',
  'src/signals/premarket.ts': "import { readFileSync } from 'node:fs';\nexport const p = readFileSync;\n",
  'src/queue/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
  'src/queue/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
  'src/market/calendar.ts': "import { a } from '../queue/a.js';\nexport const c = a;\n",
};

const tree = mkdtempSync(join(tmpdir(), 'layering-'));
afterAll(() => rmSync(tree, { recursive: true, force: true }));

describe('the layering rules (npm run lint)', () => {
  it('hold for src/', async () => {
    const result = await execa(DEPCRUISE, ['src', '--config', CONFIG], { cwd: ROOT, reject: false });
    expect(result.stdout + result.stderr).toMatch(/no dependency violations found/);
    expect(result.exitCode).toBe(0);
  });

  it('fail on a tree that breaks each of them', async () => {
    for (const [file, text] of Object.entries(VIOLATIONS)) {
      mkdirSync(dirname(join(tree, file)), { recursive: true });
      writeFileSync(join(tree, file), text);
    }
    writeFileSync(join(tree, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext' } }));
    const result = await execa(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'err'], {
      cwd: tree,
      reject: false,
    });
    expect(result.exitCode).not.toBe(0);
    for (const rule of [
      'core-imports-nothing-of-ours',
      'app-does-not-import-commands-or-cli',
      'delta-is-generic',
      'lazy-imports-at-the-command-boundary',
      'signals-do-no-io',
      'no-circular',
      'market-is-pure',
    ]) {
      expect(result.stdout, rule).toContain(rule);
    }
  });
});
