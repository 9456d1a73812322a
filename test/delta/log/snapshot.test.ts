import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DeltaLogCorruptError,
  DeltaTableNotFoundError,
  DeltaUnsupportedError,
  DeltaVersionNotFoundError,
} from '../../../src/delta/errors.js';
import { latestVersion, listCommits, listLog, readLastCheckpointHint } from '../../../src/delta/log/log.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { continueReplay } from '../../../src/delta/log/replay.js';
import { replayListing } from '../../../src/delta/log/snapshot.js';
import { commitFileName } from '../../../src/delta/log/types.js';
import {
  add,
  commitInfo,
  logDir,
  makeTempDir,
  metaData,
  protocol,
  remove,
  setMtime,
  txn,
  writeCheckpoint,
  writeCommit,
} from '../read/fixtures.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';

const FIELDS = [
  { name: 'id', type: 'long' },
  { name: 'day', type: 'date' },
];

const duck = useMemoryDuckDb();
let connection: DuckDBConnection;
let dir: string;
let cleanup: () => void;

beforeAll(() => {
  connection = duck.connection;
});
beforeEach(() => {
  ({ dir, cleanup } = makeTempDir('snapshot'));
});
afterEach(() => cleanup());

function table(name = 't'): string {
  const t = path.join(dir, name);
  mkdirSync(t, { recursive: true });
  return t;
}

/** A table with `n` commits: v0 creates, each later version adds file f<v>; v3 removes f1. */
function linearTable(t: string, n: number, start = 1_700_000_000_000): void {
  writeCommit(t, 0, [commitInfo(start), protocol(), metaData(FIELDS, ['day'])]);
  for (let v = 1; v < n; v++) {
    const actions: object[] = [
      commitInfo(start + v * 60_000),
      add(`day=2026-01-0${(v % 9) + 1}/f${v}.parquet`, {
        partitionValues: { day: `2026-01-0${(v % 9) + 1}` },
      }),
    ];
    if (v === 3) actions.push(remove('day=2026-01-02/f1.parquet'));
    writeCommit(t, v, actions);
  }
}

function livePaths(snapshot: { files: Map<string, { relativePath: string }> }): string[] {
  return [...snapshot.files.values()].map((f) => f.relativePath).sort();
}

/** The table state at `version` as checkpoint actions (what a writer would checkpoint). */
async function checkpointOf(t: string, version: number, parts = 1): Promise<string[]> {
  const s = await loadSnapshot(t, { version });
  const actions: object[] = [
    { protocol: s.protocol },
    { metaData: s.metadata },
    ...[...s.files.values()].map((f) => ({ add: f.add })),
    ...[...s.tombstones.values()].map((r) => ({ remove: r })),
    ...[...s.txns.values()].map((x) => ({ txn: x })),
  ];
  return writeCheckpoint(connection, t, version, actions, parts);
}

describe('listing', () => {
  it('reports a missing path and a directory without a log as "not a table"', async () => {
    await expect(listLog(path.join(dir, 'nope'))).rejects.toThrow(/does not exist/);
    await expect(listLog(table('empty'))).rejects.toBeInstanceOf(DeltaTableNotFoundError);
    mkdirSync(logDir(path.join(dir, 'empty')));
    await expect(listLog(path.join(dir, 'empty'))).rejects.toThrow(/holds no commit or checkpoint/);
  });

  it('ignores crc, temp, v2 and unrelated files; lists commits and latest version', async () => {
    const t = table();
    linearTable(t, 3);
    writeFileSync(path.join(logDir(t), '.00000000000000000001.json.crc'), 'x');
    writeFileSync(path.join(logDir(t), '.tmp-abc.json'), '{broken');
    writeFileSync(path.join(logDir(t), '00000000000000000007.json.tmp'), '{broken');
    mkdirSync(path.join(logDir(t), '.tmp'));
    writeFileSync(path.join(logDir(t), '.tmp', '00000000000000000009.json'), '{broken');
    const listing = await listLog(t);
    expect(listing.commitVersions).toEqual([0, 1, 2]);
    expect(await latestVersion(t)).toBe(2);
    expect((await listCommits(t, { from: 1 })).map((c) => c.version)).toEqual([1, 2]);
    expect((await loadSnapshot(t)).version).toBe(2);
  });

  it('treats a multi-part checkpoint with a missing part as absent', async () => {
    const t = table();
    linearTable(t, 6);
    const parts = await checkpointOf(t, 4, 3);
    expect((await listLog(t)).checkpoints).toEqual([{ version: 4, files: parts, kind: 'multi-part' }]);
    const { rmSync } = await import('node:fs');
    rmSync(parts[1] as string);
    expect((await listLog(t)).checkpoints).toEqual([]);
    const s = await loadSnapshot(t, { connection });
    expect(s.checkpointVersion).toBeUndefined();
    expect(livePaths(s)).toHaveLength(4);
  });
});

describe('replay', () => {
  it('reconciles adds, removes, re-adds, txn and the latest protocol/metadata', async () => {
    const t = table();
    writeCommit(t, 0, [
      protocol(),
      metaData([{ name: 'a', type: 'integer' }]),
      add('x.parquet'),
      txn('app', 1),
    ]);
    writeCommit(t, 1, [remove('x.parquet'), add('y.parquet'), txn('app', 2), txn('other', 7)]);
    writeCommit(t, 2, [
      add('x.parquet', { modificationTime: 42 }),
      protocol(1, 3),
      metaData([{ name: 'b', type: 'long' }]),
    ]);
    const s = await loadSnapshot(t);
    expect(livePaths(s)).toEqual(['x.parquet', 'y.parquet']);
    expect(s.files.get('x.parquet')?.add.modificationTime).toBe(42);
    expect(s.tombstones.size).toBe(0);
    expect(Object.fromEntries([...s.txns].map(([k, v]) => [k, v.version]))).toEqual({ app: 2, other: 7 });
    expect(s.protocol.minWriterVersion).toBe(3);
    expect(s.schema.fields.map((f) => f.name)).toEqual(['b']);

    const v1 = await loadSnapshot(t, { version: 1 });
    expect(livePaths(v1)).toEqual(['y.parquet']);
    expect([...v1.tombstones.keys()]).toEqual(['x.parquet']);
  });

  it('continues a replay sharing the tombstones until a commit changes them, never changing the base', async () => {
    const t = table();
    writeCommit(t, 0, [protocol(), metaData([{ name: 'a', type: 'integer' }]), add('x.parquet')]);
    writeCommit(t, 1, [remove('x.parquet')]);
    const base = await replayListing(await listLog(t));
    expect([...base.snapshot.tombstones.keys()]).toEqual(['x.parquet']);
    // Keyed by a path that needs no decoding, the state's map is the snapshot's by-path map.
    expect(base.snapshot.tombstones).toBe(base.state.tombstones);

    const appended = await continueReplay(base, [{ version: 2, actions: [add('y.parquet')] }]);
    expect(appended.state.tombstones).toBe(base.state.tombstones);
    expect(appended.snapshot.tombstones).toBe(base.snapshot.tombstones);

    const readded = await continueReplay(appended, [{ version: 3, actions: [add('x.parquet')] }]);
    expect(readded.snapshot.tombstones.size).toBe(0);
    const removed = await continueReplay(appended, [{ version: 3, actions: [remove('y.parquet')] }]);
    expect([...removed.snapshot.tombstones.keys()].sort()).toEqual(['x.parquet', 'y.parquet']);
    for (const earlier of [base, appended]) {
      expect([...earlier.state.tombstones.keys()]).toEqual(['x.parquet']);
      expect([...earlier.snapshot.tombstones.keys()]).toEqual(['x.parquet']);
    }
  });

  it('keeps a tombstone without its stats, as a checkpoint does', async () => {
    const t = table();
    const stats = JSON.stringify({ numRecords: 4, minValues: { a: 1 }, maxValues: { a: 9 } });
    writeCommit(t, 0, [protocol(), metaData([{ name: 'a', type: 'integer' }]), add('x.parquet')]);
    writeCommit(t, 1, [
      { remove: { path: 'x.parquet', deletionTimestamp: 5, dataChange: false, size: 100, stats } },
    ]);
    const s = await loadSnapshot(t);
    expect(s.tombstones.get('x.parquet')).toEqual({
      path: 'x.parquet',
      deletionTimestamp: 5,
      dataChange: false,
      size: 100,
    });
  });

  it('shares one frozen partitionValues object among the actions of a partition, across replays', async () => {
    const t = table();
    const day1 = { partitionValues: { day: '2026-01-01' } };
    writeCommit(t, 0, [
      protocol(),
      metaData(FIELDS, ['day']),
      add('day=2026-01-01/a.parquet', day1),
      add('day=2026-01-02/b.parquet', { partitionValues: { day: '2026-01-02' } }),
    ]);
    const base = await replayListing(await listLog(t));
    const next = await continueReplay(base, [
      {
        version: 1,
        actions: [
          add('day=2026-01-01/c.parquet', day1),
          { remove: { path: 'day=2026-01-01/a.parquet', dataChange: false, ...day1 } },
        ],
      },
    ]);
    const shared = base.snapshot.files.get('day=2026-01-01/a.parquet')?.add.partitionValues;
    expect(shared).toEqual({ day: '2026-01-01' });
    expect(Object.isFrozen(shared)).toBe(true);
    expect(next.snapshot.files.get('day=2026-01-01/c.parquet')?.add.partitionValues).toBe(shared);
    expect(next.snapshot.tombstones.get('day=2026-01-01/a.parquet')?.partitionValues).toBe(shared);
    const other = next.snapshot.files.get('day=2026-01-02/b.parquet')?.add.partitionValues;
    expect(other).toEqual({ day: '2026-01-02' });
    expect(other).not.toBe(shared);
  });

  it('lists tombstones by their logged path when it is encoded', async () => {
    const t = table();
    writeCommit(t, 0, [
      protocol(),
      metaData(FIELDS, ['day']),
      add('day=a%20b/f.parquet', { partitionValues: { day: 'a b' } }),
      add('day=c/g.parquet', { partitionValues: { day: 'c' } }),
    ]);
    writeCommit(t, 1, [remove('day=a%20b/f.parquet'), remove('day=c/g.parquet')]);
    const { snapshot, state } = await replayListing(await listLog(t));
    expect([...state.tombstones.keys()].sort()).toEqual(['day=a b/f.parquet', 'day=c/g.parquet']);
    expect([...snapshot.tombstones.keys()].sort()).toEqual(['day=a%20b/f.parquet', 'day=c/g.parquet']);
    expect(snapshot.tombstones.get('day=a%20b/f.parquet')?.path).toBe('day=a%20b/f.parquet');
  });

  it('matches file actions on the decoded path', async () => {
    const t = table();
    writeCommit(t, 0, [
      protocol(),
      metaData(FIELDS, ['day']),
      add('day=a%20b/f.parquet', { partitionValues: { day: null } }),
    ]);
    writeCommit(t, 1, [remove('day=a b/f.parquet')]);
    expect((await loadSnapshot(t)).files.size).toBe(0);
  });

  it('parses stats, and a broken stats string only disables skipping', async () => {
    const t = table();
    writeCommit(t, 0, [
      protocol(),
      metaData(FIELDS),
      add('a.parquet', {
        stats: { numRecords: 3, minValues: { id: 1 }, maxValues: { id: 9 }, nullCount: { id: 0 } },
      }),
      { add: { ...add('b.parquet').add, stats: '{not json' } },
    ]);
    const s = await loadSnapshot(t);
    expect(s.files.get('a.parquet')?.stats).toEqual({
      numRecords: 3,
      minValues: { id: 1 },
      maxValues: { id: 9 },
      nullCount: { id: 0 },
    });
    expect(s.files.get('b.parquet')?.stats).toBeUndefined();
  });

  it('parses a file’s stats when they are first read, once', async () => {
    const t = table();
    const stats = { numRecords: 2, minValues: { id: 4 }, maxValues: { id: 5 }, nullCount: { id: 0 } };
    writeCommit(t, 0, [protocol(), metaData(FIELDS), add('a.parquet', { stats })]);
    const statsText = JSON.stringify(stats);
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const s = await loadSnapshot(t);
      const parsesOfStats = () => parse.mock.calls.filter(([text]) => text === statsText).length;
      expect(parsesOfStats()).toBe(0);
      const file = s.files.get('a.parquet');
      const first = file?.stats;
      expect(first).toEqual(stats);
      expect(file?.stats).toBe(first);
      expect(parsesOfStats()).toBe(1);
    } finally {
      parse.mockRestore();
    }
  });

  it('records the commit timestamp and the checkpoint it started from', async () => {
    const t = table();
    linearTable(t, 4, 1_700_000_000_000);
    const s = await loadSnapshot(t);
    expect(s.timestamp).toBe(1_700_000_000_000 + 3 * 60_000);
    expect(s.checkpointVersion).toBeUndefined();
  });
});

describe('structural errors', () => {
  it('rejects a log without protocol or without metadata', async () => {
    const t1 = table('p');
    writeCommit(t1, 0, [metaData(FIELDS)]);
    await expect(loadSnapshot(t1)).rejects.toThrow(/no protocol/);
    const t2 = table('m');
    writeCommit(t2, 0, [protocol()]);
    await expect(loadSnapshot(t2)).rejects.toThrow(/no metadata/);
    await expect(loadSnapshot(t2)).rejects.toBeInstanceOf(DeltaLogCorruptError);
  });

  it('rejects an unparseable commit, naming file and line', async () => {
    const t = table();
    writeCommit(t, 0, [protocol(), metaData(FIELDS)]);
    writeFileSync(path.join(logDir(t), commitFileName(1)), '{"add":{"path":"a"}}\n{"add": tru\n');
    await expect(loadSnapshot(t)).rejects.toThrow(/00000000000000000001\.json line 2 is not valid JSON/);
  });

  it('rejects a gap in versions, and a gap after the checkpoint', async () => {
    const t = table();
    linearTable(t, 6);
    await checkpointOf(t, 2);
    const { rmSync } = await import('node:fs');
    rmSync(path.join(logDir(t), commitFileName(4)));
    await expect(loadSnapshot(t, { connection })).rejects.toThrow(
      'missing commit 4: versions not contiguous',
    );
    // Versions up to the gap are still readable.
    expect((await loadSnapshot(t, { version: 3, connection })).version).toBe(3);
  });

  it('accepts a gap before the checkpoint (cleaned-up log)', async () => {
    const t = table();
    linearTable(t, 6);
    await checkpointOf(t, 3);
    const { rmSync } = await import('node:fs');
    for (const v of [0, 1, 2]) rmSync(path.join(logDir(t), commitFileName(v)));
    const s = await loadSnapshot(t, { connection });
    expect(s.version).toBe(5);
    expect(s.checkpointVersion).toBe(3);
    await expect(loadSnapshot(t, { version: 2, connection })).rejects.toThrow('available versions are 3..5');
  });

  it('applies the reader protocol gate', async () => {
    const cases: Array<[object, string | undefined]> = [
      [protocol(1, 7), undefined],
      [protocol(3, 7, { reader: [], writer: ['appendOnly'] }), undefined],
      [protocol(3, 7, { reader: ['timestampNtz'], writer: ['timestampNtz'] }), undefined],
      [protocol(2, 5), 'reader version 2 (column mapping)'],
      [
        protocol(3, 7, { reader: ['deletionVectors', 'timestampNtz'] }),
        "reader features ['deletionVectors']",
      ],
      [protocol(3, 7, { reader: ['v2Checkpoint'] }), "reader features ['v2Checkpoint']"],
      [protocol(3, 7, { reader: ['columnMapping'] }), "reader features ['columnMapping']"],
      [protocol(3, 7, { reader: ['madeUpFeature'] }), "reader features ['madeUpFeature']"],
      [protocol(99, 99), 'reader version 99'],
    ];
    for (const [i, [p, reason]] of cases.entries()) {
      const t = table(`gate${i}`);
      writeCommit(t, 0, [p, metaData(FIELDS)]);
      if (reason === undefined) await expect(loadSnapshot(t)).resolves.toBeDefined();
      else {
        await expect(loadSnapshot(t)).rejects.toThrow(reason);
        await expect(loadSnapshot(t)).rejects.toBeInstanceOf(DeltaUnsupportedError);
      }
    }
  });
});

describe('checkpoints', () => {
  it('starts from the newest checkpoint and never reads JSON at or below it', async () => {
    const t = table();
    linearTable(t, 25);
    await checkpointOf(t, 10);
    await checkpointOf(t, 20);
    const expected = livePaths(await loadSnapshot(t, { connection }));
    // Poison every commit up to 20: reading any of them would fail the load.
    for (let v = 0; v <= 20; v++) writeFileSync(path.join(logDir(t), commitFileName(v)), '{poisoned\n');
    const s = await loadSnapshot(t, { connection });
    expect(s.checkpointVersion).toBe(20);
    expect(livePaths(s)).toEqual(expected);
    expect(s.files.size).toBe(23);
    // Time travel to an older version starts from the older checkpoint.
    await expect(loadSnapshot(t, { version: 15, connection })).rejects.toBeInstanceOf(DeltaLogCorruptError);
  });

  it('reads the same state from a checkpoint as from the JSON commits (single and multi-part)', async () => {
    const t = table();
    linearTable(t, 8);
    writeCommit(t, 8, [txn('loader', 5), commitInfo(1_800_000_000_000)]);
    const fromJson = await loadSnapshot(t);
    await checkpointOf(t, 8, 2);
    const fromParts = await loadSnapshot(t, { connection });
    expect(fromParts.checkpointVersion).toBe(8);
    expect(livePaths(fromParts)).toEqual(livePaths(fromJson));
    expect(fromParts.txns.get('loader')?.version).toBe(5);
    expect([...fromParts.tombstones.keys()]).toEqual([...fromJson.tombstones.keys()]);
    expect(fromParts.metadata.partitionColumns).toEqual(['day']);
    expect(fromParts.timestamp).toBe(1_800_000_000_000);
    const f = fromParts.files.get('day=2026-01-03/f2.parquet');
    expect(f?.add.partitionValues).toEqual({ day: '2026-01-03' });
  });

  it('works with a missing, empty, corrupt, stale or snake_case _last_checkpoint', async () => {
    const t = table();
    linearTable(t, 12);
    await checkpointOf(t, 5);
    await checkpointOf(t, 10);
    const hintFile = path.join(logDir(t), '_last_checkpoint');
    const variants: Array<[string | undefined, number | undefined]> = [
      [undefined, undefined],
      ['', undefined],
      ['{"version":', undefined],
      ['{"version":5,"size":10}', 5],
      ['{"version":10,"size":10,"size_in_bytes":123,"parts":null}', 10],
      ['{"version":99,"size":10}', 99],
    ];
    for (const [content, hinted] of variants) {
      const { rmSync } = await import('node:fs');
      rmSync(hintFile, { force: true });
      if (content !== undefined) writeFileSync(hintFile, content);
      expect((await readLastCheckpointHint(t))?.version).toBe(hinted);
      const s = await loadSnapshot(t, { connection });
      expect(s.version).toBe(11);
      expect(s.checkpointVersion).toBe(10);
    }
    writeFileSync(hintFile, '{"version":10,"size":10,"size_in_bytes":123}');
    expect((await readLastCheckpointHint(t))?.sizeInBytes).toBe(123);
  });

  it('falls back to an older base when the newest checkpoint is unreadable', async () => {
    const t = table();
    linearTable(t, 8);
    const expected = livePaths(await loadSnapshot(t));
    const [file] = await checkpointOf(t, 6);
    writeFileSync(file as string, 'PAR1 not really parquet');
    const s = await loadSnapshot(t, { connection });
    expect(s.checkpointVersion).toBeUndefined();
    expect(livePaths(s)).toEqual(expected);
    // Without the JSON commits there is no correct fallback: the error names the checkpoint.
    const { rmSync } = await import('node:fs');
    rmSync(path.join(logDir(t), commitFileName(0)));
    await expect(loadSnapshot(t, { connection })).rejects.toThrow(
      /cannot read checkpoint 00000000000000000006\.checkpoint\.parquet/,
    );
  });
});

describe('time travel', () => {
  it('by version, with the available range in the error', async () => {
    const t = table();
    linearTable(t, 5);
    expect(livePaths(await loadSnapshot(t, { version: 1 }))).toEqual(['day=2026-01-02/f1.parquet']);
    await expect(loadSnapshot(t, { version: 5 })).rejects.toThrow('Version 5 of');
    await expect(loadSnapshot(t, { version: 5 })).rejects.toThrow('available versions are 0..4');
    await expect(loadSnapshot(t, { version: -1 })).rejects.toBeInstanceOf(DeltaVersionNotFoundError);
  });

  it('by timestamp: commitInfo time, else file mtime; before the first commit is an error', async () => {
    const t = table();
    const base = Date.parse('2026-01-05T10:00:00Z');
    linearTable(t, 5, base);
    expect((await loadSnapshot(t, { timestamp: '2026-01-05T10:02:30Z' })).version).toBe(2);
    expect((await loadSnapshot(t, { timestamp: new Date(base + 3 * 60_000) })).version).toBe(3);
    expect((await loadSnapshot(t, { timestamp: base })).version).toBe(0);
    expect((await loadSnapshot(t, { timestamp: '2030-01-01' })).version).toBe(4);
    const early = loadSnapshot(t, { timestamp: '2026-01-05T09:59:59Z' });
    await expect(early).rejects.toBeInstanceOf(DeltaVersionNotFoundError);
    await expect(loadSnapshot(t, { timestamp: '2026-01-05T09:59:59Z' })).rejects.toThrow(
      'available: versions 0..4 (2026-01-05T10:00:00.000Z .. 2026-01-05T10:04:00.000Z)',
    );
    await expect(loadSnapshot(t, { timestamp: 'yesterday' })).rejects.toThrow(/Invalid timestamp/);
    await expect(loadSnapshot(t, { version: 1, timestamp: base })).rejects.toThrow(/not both/);

    // Commits without commitInfo use the file's modification time.
    const u = table('mtime');
    writeCommit(u, 0, [protocol(), metaData(FIELDS)]);
    writeCommit(u, 1, [add('a.parquet')]);
    setMtime(path.join(logDir(u), commitFileName(0)), Date.parse('2020-01-01T00:00:00Z'));
    setMtime(path.join(logDir(u), commitFileName(1)), Date.parse('2020-01-01T00:20:00Z'));
    expect((await loadSnapshot(u, { timestamp: '2020-01-01T00:10:00Z' })).version).toBe(0);
    expect((await loadSnapshot(u, { timestamp: '2020-01-01T00:20:00Z' })).version).toBe(1);
  });
});
