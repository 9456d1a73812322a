/**
 * The writer protocol gate. We write reader-1 / writer-2 tables without table features. A table that
 * needs more from writers (CHECK constraints, change data feed, generated or identity columns, column
 * mapping, deletion vectors, any writer feature) would be silently corrupted by a writer that ignores
 * those rules, so writing to it is refused with the feature named. Writer 2 itself means: honour
 * `delta.appendOnly` (no removes) and column invariants (we do not evaluate invariants, so refuse).
 */
import { DeltaSchemaViolationError, DeltaUnsupportedError } from '../errors.js';
import type { DeltaStructType, DeltaType, Metadata, Protocol } from '../log/types.js';
import { deltaTypeToDuckDb, isArrayType, isMapType, isStructType } from '../read/schema.js';

export const WRITER_PROTOCOL: Protocol = { minReaderVersion: 1, minWriterVersion: 2 };

const WRITER_VERSION_FEATURES: Readonly<Record<number, string>> = {
  3: 'CHECK constraints (writer version 3)',
  4: 'change data feed / generated columns (writer version 4)',
  5: 'column mapping (writer version 5)',
  6: 'identity columns (writer version 6)',
};

/** Configuration keys that would enable something only a newer writer honours. */
const FEATURE_CONFIGURATION: ReadonlyArray<[RegExp, (value: string | null) => boolean, string]> = [
  [/^delta\.constraints\./, () => true, 'CHECK constraints'],
  [/^delta\.enableChangeDataFeed$/, (v) => v === 'true', 'change data feed'],
  [/^delta\.columnMapping\.mode$/, (v) => v !== null && v !== 'none', 'column mapping'],
  [/^delta\.enableDeletionVectors$/, (v) => v === 'true', 'deletion vectors'],
  [/^delta\.enableRowTracking$/, (v) => v === 'true', 'row tracking'],
  [/^delta\.enableInCommitTimestamps$/, (v) => v === 'true', 'in-commit timestamps'],
  [/^delta\.checkpoint\.writeStatsAsStruct$/, (v) => v === 'true', 'writeStatsAsStruct (writer version 3)'],
  [/^delta\.enableTypeWidening$/, (v) => v === 'true', 'type widening'],
];

const FIELD_METADATA_FEATURES: ReadonlyArray<[string, string]> = [
  ['delta.invariants', 'column invariants'],
  ['delta.generationExpression', 'generated columns'],
  ['delta.identity.start', 'identity columns'],
  ['delta.columnMapping.id', 'column mapping'],
];

function unsupported(tablePath: string, feature: string): DeltaUnsupportedError {
  return new DeltaUnsupportedError(
    `Cannot write to ${tablePath}: it uses ${feature}, which futures-signals cannot write.`,
    {
      hint: 'Only reader 1 / writer 2 tables without table features are writable; use Spark or delta-rs for this table.',
    },
  );
}

function* fieldsOf(
  type: DeltaType,
  prefix: string,
): Generator<{ path: string; metadata: Record<string, unknown> }> {
  if (isStructType(type)) {
    for (const field of type.fields) {
      const path = prefix === '' ? field.name : `${prefix}.${field.name}`;
      yield { path, metadata: field.metadata };
      yield* fieldsOf(field.type, path);
    }
  } else if (isArrayType(type)) yield* fieldsOf(type.elementType, `${prefix}[]`);
  else if (isMapType(type)) {
    yield* fieldsOf(type.keyType, `${prefix}.key`);
    yield* fieldsOf(type.valueType, `${prefix}.value`);
  }
}

function featureInSchema(schema: DeltaStructType): string | undefined {
  for (const { path, metadata } of fieldsOf(schema, '')) {
    for (const [key, feature] of FIELD_METADATA_FEATURES) {
      if (key in metadata) return `${feature} (column '${path}')`;
    }
  }
  return undefined;
}

function featureInConfiguration(configuration: Record<string, string | null>): string | undefined {
  for (const [key, value] of Object.entries(configuration)) {
    for (const [re, enabled, feature] of FEATURE_CONFIGURATION) {
      if (re.test(key) && enabled(value)) return feature;
    }
  }
  return undefined;
}

/** Throws DeltaUnsupportedError unless we may write this table (with removes, when `removes`). */
export function assertWritable(
  tablePath: string,
  protocol: Protocol,
  metadata: Metadata,
  schema: DeltaStructType,
  options: { removes?: boolean } = {},
): void {
  const features = [...(protocol.writerFeatures ?? []), ...(protocol.readerFeatures ?? [])];
  if (features.length > 0)
    throw unsupported(tablePath, `table features [${[...new Set(features)].join(', ')}]`);
  if (protocol.minReaderVersion > 1)
    throw unsupported(tablePath, `reader version ${protocol.minReaderVersion}`);
  if (protocol.minWriterVersion > 2) {
    throw unsupported(
      tablePath,
      WRITER_VERSION_FEATURES[protocol.minWriterVersion] ?? `writer version ${protocol.minWriterVersion}`,
    );
  }
  const inSchema = featureInSchema(schema);
  if (inSchema) throw unsupported(tablePath, inSchema);
  const inConfig = featureInConfiguration(metadata.configuration);
  if (inConfig) throw unsupported(tablePath, inConfig);
  if (options.removes && metadata.configuration['delta.appendOnly'] === 'true') {
    throw new DeltaUnsupportedError(
      `Cannot remove files from ${tablePath}: the table is append-only (delta.appendOnly=true).`,
      {
        hint: 'Set delta.appendOnly=false on the table first if removing data is really intended.',
      },
    );
  }
}

function checkNames(type: DeltaType, where: string): void {
  if (isStructType(type)) {
    const seen = new Set<string>();
    for (const field of type.fields) {
      if (field.name === '') throw invalidSchema(`${where}: a field has an empty name.`);
      const lower = field.name.toLowerCase();
      if (seen.has(lower))
        throw invalidSchema(
          `${where}: column name '${field.name}' is used twice (names are case-insensitive).`,
        );
      seen.add(lower);
      checkNames(field.type, where === 'schema' ? field.name : `${where}.${field.name}`);
    }
  } else if (isArrayType(type)) checkNames(type.elementType, `${where}[]`);
  else if (isMapType(type)) {
    checkNames(type.keyType, `${where}.key`);
    checkNames(type.valueType, `${where}.value`);
  }
}

function containsType(type: DeltaType, name: string): boolean {
  if (isStructType(type)) return type.fields.some((f) => containsType(f.type, name));
  if (isArrayType(type)) return containsType(type.elementType, name);
  if (isMapType(type)) return containsType(type.keyType, name) || containsType(type.valueType, name);
  return type === name;
}

function invalidSchema(message: string): DeltaSchemaViolationError {
  return new DeltaSchemaViolationError(`Invalid table schema: ${message}`, {
    hint: 'Fix the schema passed to createTable.',
  });
}

/** Validates a schema and partition columns for a new reader-1 / writer-2 table. */
export function validateNewTable(
  schema: DeltaStructType,
  partitionColumns: readonly string[],
  configuration: Record<string, string>,
): void {
  if (schema.type !== 'struct' || schema.fields.length === 0)
    throw invalidSchema('the schema has no columns.');
  checkNames(schema, 'schema');
  for (const field of schema.fields) deltaTypeToDuckDb(field.type);
  if (containsType(schema, 'timestamp_ntz')) {
    throw new DeltaUnsupportedError(
      'Cannot create a table with a timestamp_ntz column: it needs the timestampNtz feature (reader 3 / writer 7).',
      {
        hint: "Use 'timestamp' (UTC instants) instead.",
      },
    );
  }
  const inSchema = featureInSchema(schema);
  if (inSchema) throw new DeltaUnsupportedError(`Cannot create a table with ${inSchema}.`);
  const inConfig = featureInConfiguration(configuration);
  if (inConfig)
    throw new DeltaUnsupportedError(`Cannot create a table with ${inConfig}: it needs a newer Delta writer.`);
  const seen = new Set<string>();
  for (const column of partitionColumns) {
    const field = schema.fields.find((f) => f.name === column);
    if (!field) throw invalidSchema(`partition column '${column}' is not a column of the schema.`);
    if (seen.has(column)) throw invalidSchema(`partition column '${column}' is listed twice.`);
    seen.add(column);
    if (typeof field.type !== 'string' || field.type === 'binary') {
      throw invalidSchema(
        `partition column '${column}' has type ${JSON.stringify(field.type)}; partition columns must be primitive and not binary.`,
      );
    }
  }
  if (partitionColumns.length >= schema.fields.length) {
    throw invalidSchema(
      'every column is a partition column; at least one column must be stored in the data files.',
    );
  }
}
