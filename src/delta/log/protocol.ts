/**
 * The reader protocol gate. We read reader-1 tables, and reader-3 tables whose readerFeatures are a
 * subset of what we implement. Anything else could make a plain Parquet read return wrong rows
 * (deletion vectors, column mapping), so it is rejected with the feature named.
 */
import { DeltaUnsupportedError } from '../errors.js';
import type { LiveFile, Protocol } from './types.js';

/** Reader features this library implements. */
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set(['timestampNtz']);

function pyList(items: readonly string[]): string {
  return `[${items.map((f) => `'${f}'`).join(', ')}]`;
}

/** Throws DeltaUnsupportedError unless this library can read a table with this protocol. */
export function assertReadable(protocol: Protocol, tablePath: string): void {
  const reader = protocol.minReaderVersion;
  const hint =
    'This table needs a Delta reader with more features than futures-signals has; read it with Spark or delta-rs, or rewrite it without that feature.';
  if (reader === 1) return;
  if (reader === 2) {
    throw new DeltaUnsupportedError(
      `Cannot read ${tablePath}: reader version 2 (column mapping) is not supported (supported: reader 1, and reader 3 with features ${pyList([...SUPPORTED_READER_FEATURES])}).`,
      { hint },
    );
  }
  if (reader === 3) {
    const features = protocol.readerFeatures ?? [];
    const unsupported = features.filter((f) => !SUPPORTED_READER_FEATURES.has(f));
    if (unsupported.length === 0) return;
    throw new DeltaUnsupportedError(
      `Cannot read ${tablePath}: reader features ${pyList(unsupported)} are not supported (supported: ${pyList([...SUPPORTED_READER_FEATURES])}).`,
      { hint },
    );
  }
  throw new DeltaUnsupportedError(
    `Cannot read ${tablePath}: reader version ${reader} is not supported (supported: reader 1, and reader 3 with features ${pyList([...SUPPORTED_READER_FEATURES])}).`,
    { hint },
  );
}

/**
 * Throws DeltaUnsupportedError when a live file carries a deletion vector. A table we accept never
 * declares the deletionVectors feature, so such an add is a log that contradicts its protocol; reading
 * the file whole would return the rows the vector marks deleted.
 */
export function assertNoDeletionVectors(files: ReadonlyMap<string, LiveFile>, tablePath: string): void {
  for (const file of files.values()) {
    const dv = file.add.deletionVector;
    if (dv === undefined || dv === null) continue;
    throw new DeltaUnsupportedError(
      `Cannot read ${tablePath}: data file ${file.add.path} carries a deletion vector (rows marked deleted), which this reader does not apply, and the table's protocol does not declare the deletionVectors feature.`,
      {
        hint: 'Reading the file whole would return rows that were deleted. Read the table with Spark or delta-rs, or restore the commit that added this file from a copy of the table (`futures table verify <table>` names it).',
      },
    );
  }
}
