import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * DESIGN.md: only src/ibkr talks to IBKR. No file outside src/ibkr imports @stoqey/ib, and nothing in
 * src/signals, src/lake or src/delta imports src/ibkr (signals read Delta only). The simulator (src/sim)
 * impersonates IB with its own codec: it imports neither @stoqey/ib nor src/ibkr.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const ibkrDir = join(root, 'src', 'ibkr');

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(c|m)?(t|j)sx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Module specifiers of static imports, re-exports, dynamic imports and require calls. */
function importSpecifiers(text: string): string[] {
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((re) => [...text.matchAll(re)].map((m) => m[1] ?? ''));
}

const isInside = (path: string, dir: string) => path === dir || path.startsWith(dir + sep);

function importsOf(file: string): Array<{ specifier: string; target: string | null }> {
  return importSpecifiers(readFileSync(file, 'utf8')).map((specifier) => ({
    specifier,
    target: specifier.startsWith('.') ? resolve(dirname(file), specifier) : null,
  }));
}

const scanned = ['src', 'bin', 'bench', 'scripts'].flatMap((d) => sourceFiles(join(root, d)));

describe('import rules', () => {
  it('finds the source tree', () => {
    expect(scanned.length).toBeGreaterThan(10);
    expect(scanned.some((f) => f.endsWith(join('src', 'ibkr', 'stoqey-wire.ts')))).toBe(true);
    expect(scanned.some((f) => f.endsWith(join('src', 'sim', 'server.ts')))).toBe(true);
  });

  it('recognises every import form (so the rules below can fail)', () => {
    const text = [
      "import { IBApi } from '@stoqey/ib';",
      "import type { Contract } from '@stoqey/ib';",
      "export * from '@stoqey/ib';",
      "const m = await import('../ibkr/index.js');",
      "const r = require('@stoqey/ib');",
      "import '@stoqey/ib/dist/index.js';",
    ].join('\n');
    expect(importSpecifiers(text)).toEqual(
      expect.arrayContaining(['@stoqey/ib', '../ibkr/index.js', '@stoqey/ib/dist/index.js']),
    );
    expect(importSpecifiers(text).filter((s) => s.startsWith('@stoqey/ib'))).toHaveLength(5);
  });

  it('no file outside src/ibkr imports @stoqey/ib', () => {
    const offenders = scanned
      .filter((file) => !isInside(file, ibkrDir))
      .flatMap((file) =>
        importsOf(file)
          .filter(({ specifier }) => specifier === '@stoqey/ib' || specifier.startsWith('@stoqey/ib/'))
          .map(({ specifier }) => `${relative(root, file)} imports ${specifier}`),
      );
    expect(offenders).toEqual([]);
  });

  it('nothing in src/signals, src/lake, src/delta or src/sim imports src/ibkr', () => {
    const guarded = ['signals', 'lake', 'delta', 'sim'].map((d) => join(root, 'src', d));
    const offenders = scanned
      .filter((file) => guarded.some((dir) => isInside(file, dir)))
      .flatMap((file) =>
        importsOf(file)
          .filter(({ target }) => target !== null && isInside(target, ibkrDir))
          .map(({ specifier }) => `${relative(root, file)} imports ${specifier}`),
      );
    expect(offenders).toEqual([]);
  });

  it('inside the connection module only the wire adapter imports @stoqey/ib', () => {
    const files = sourceFiles(ibkrDir);
    const users = files.filter((file) =>
      importsOf(file).some(({ specifier }) => specifier.startsWith('@stoqey/ib')),
    );
    expect(users.map((f) => relative(ibkrDir, f))).toEqual(['stoqey-wire.ts']);
  });
});
