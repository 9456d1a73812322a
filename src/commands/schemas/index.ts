import type { z } from 'zod';
import { calendarDocumentSchema, isOpenDocumentSchema } from './calendar.js';
import { dashboardDocumentSchema, reportDocumentSchema } from './dashboard.js';
import {
  compactDocumentSchema,
  completionDocumentSchema,
  importDocumentSchema,
  queueRebuildDocumentSchema,
} from './maintain.js';
import {
  backfillDocumentSchema,
  collectDocumentSchema,
  demoDocumentSchema,
  gatewayDocumentSchema,
} from './runs.js';
import { statusDocumentSchema } from './status.js';
import {
  tableFilesDocumentSchema,
  tableHistoryDocumentSchema,
  tableInfoDocumentSchema,
  tableManifestDocumentSchema,
  tableRepairDocumentSchema,
  tableScanDocumentSchema,
  tableVerifyDocumentSchema,
} from './table.js';

export * from './calendar.js';
export * from './dashboard.js';
export * from './maintain.js';
export * from './runs.js';
export * from './status.js';
export * from './table.js';

/**
 * The --json documents of the `futures` commands: schema id → zod schema. schemas/<id, '/' → '.'>.json is
 * generated from each (`npm run schemas`); test/commands/schemas/ fails when a file is stale, when a
 * command's render.json type drifts from its schema, and when a real run prints a document its schema
 * rejects.
 */
export const FUTURES_DOCUMENT_SCHEMAS = {
  'futures.backfill/v1': backfillDocumentSchema,
  'futures.calendar/v1': calendarDocumentSchema,
  'futures.calendar.is-open/v1': isOpenDocumentSchema,
  'futures.collect/v1': collectDocumentSchema,
  'futures.compact/v1': compactDocumentSchema,
  'futures.completion/v1': completionDocumentSchema,
  'futures.dashboard/v1': dashboardDocumentSchema,
  'futures.demo/v1': demoDocumentSchema,
  'futures.gateway/v1': gatewayDocumentSchema,
  'futures.import/v1': importDocumentSchema,
  'futures.queue.rebuild/v1': queueRebuildDocumentSchema,
  'futures.report/v1': reportDocumentSchema,
  'futures.status/v3': statusDocumentSchema,
  'futures.table.files/v1': tableFilesDocumentSchema,
  'futures.table.history/v1': tableHistoryDocumentSchema,
  'futures.table.info/v1': tableInfoDocumentSchema,
  'futures.table.manifest/v1': tableManifestDocumentSchema,
  'futures.table.repair/v1': tableRepairDocumentSchema,
  'futures.table.scan/v1': tableScanDocumentSchema,
  'futures.table.verify/v1': tableVerifyDocumentSchema,
} as const satisfies Record<string, z.ZodType>;

export type FuturesDocumentId = keyof typeof FUTURES_DOCUMENT_SCHEMAS;

/** The file under schemas/ of a document id: `futures.status/v3` → `futures.status.v3.json`. */
export function schemaFileOf(id: string): string {
  return `${id.replace('/', '.')}.json`;
}

/** Files under schemas/ and the zod schema each is generated from (as JSON_SCHEMA_FILES for signals). */
export const FUTURES_JSON_SCHEMA_FILES: ReadonlyArray<{ file: string; schema: z.ZodType }> = Object.entries(
  FUTURES_DOCUMENT_SCHEMAS,
).map(([id, schema]) => ({ file: schemaFileOf(id), schema }));
