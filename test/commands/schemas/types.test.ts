/**
 * Type-level honesty: the body each futures command's render.json returns, as JSON.stringify leaves it,
 * equals its document schema both ways (assignable to z.infer of the schema, and back), so a field added,
 * removed or retyped on either side fails `npm run typecheck`.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { CommandDefinition } from '../../../src/cli/command.js';
import type { futuresBackfillCommand } from '../../../src/commands/futures/backfill.js';
import type {
  futuresCalendarCommand,
  futuresCalendarIsOpenCommand,
} from '../../../src/commands/futures/calendar.js';
import type { futuresCollectCommand } from '../../../src/commands/futures/collect.js';
import type { futuresCompactCommand } from '../../../src/commands/futures/compact.js';
import type { completionCommand } from '../../../src/commands/futures/completion.js';
import type { futuresDashboardCommand } from '../../../src/commands/futures/dashboard.js';
import type { futuresDemoCommand } from '../../../src/commands/futures/demo.js';
import type { futuresGatewayCommand } from '../../../src/commands/futures/gateway.js';
import type { futuresImportCommand } from '../../../src/commands/futures/import.js';
import type { futuresQueueRebuildCommand } from '../../../src/commands/futures/queue-rebuild.js';
import type { futuresReportCommand } from '../../../src/commands/futures/report.js';
import type { futuresStatusCommand } from '../../../src/commands/futures/status.js';
import type { futuresTableFilesCommand } from '../../../src/commands/futures/table-files.js';
import type { futuresTableHistoryCommand } from '../../../src/commands/futures/table-history.js';
import type { futuresTableInfoCommand } from '../../../src/commands/futures/table-info.js';
import type { futuresTableManifestCommand } from '../../../src/commands/futures/table-manifest.js';
import type { futuresTableRepairCommand } from '../../../src/commands/futures/table-repair.js';
import type { futuresTableScanCommand } from '../../../src/commands/futures/table-scan.js';
import type { futuresTableVerifyCommand } from '../../../src/commands/futures/table-verify.js';
import type { FUTURES_DOCUMENT_SCHEMAS } from '../../../src/commands/schemas/index.js';

type Schemas = typeof FUTURES_DOCUMENT_SCHEMAS;

/** What JSON.stringify with src/cli/output.ts's replacer makes of a value. */
type Jsonified<T> = T extends bigint
  ? number | string
  : T extends Date
    ? string
    : T extends ReadonlyArray<infer U>
      ? Jsonified<U>[]
      : T extends object
        ? { [K in keyof T]: Jsonified<T[K]> }
        : T;

// biome-ignore lint/suspicious/noExplicitAny: any options schema and result
type BodyOf<C> = C extends CommandDefinition<any, any, infer J> ? Jsonified<J> : never;
type DocumentBody<Id extends keyof Schemas> = Omit<z.infer<Schemas[Id]>, 'schema'>;

describe('render.json bodies match the document schemas (checked by tsc)', () => {
  it('each body is assignable to its schema and back', () => {
    expectTypeOf<BodyOf<typeof futuresBackfillCommand>>().toExtend<DocumentBody<'futures.backfill/v1'>>();
    expectTypeOf<DocumentBody<'futures.backfill/v1'>>().toExtend<BodyOf<typeof futuresBackfillCommand>>();
    expectTypeOf<BodyOf<typeof futuresCalendarCommand>>().toExtend<DocumentBody<'futures.calendar/v1'>>();
    expectTypeOf<DocumentBody<'futures.calendar/v1'>>().toExtend<BodyOf<typeof futuresCalendarCommand>>();
    expectTypeOf<BodyOf<typeof futuresCalendarIsOpenCommand>>().toExtend<
      DocumentBody<'futures.calendar.is-open/v1'>
    >();
    expectTypeOf<DocumentBody<'futures.calendar.is-open/v1'>>().toExtend<
      BodyOf<typeof futuresCalendarIsOpenCommand>
    >();
    expectTypeOf<BodyOf<typeof futuresCollectCommand>>().toExtend<DocumentBody<'futures.collect/v1'>>();
    expectTypeOf<DocumentBody<'futures.collect/v1'>>().toExtend<BodyOf<typeof futuresCollectCommand>>();
    expectTypeOf<BodyOf<typeof futuresCompactCommand>>().toExtend<DocumentBody<'futures.compact/v1'>>();
    expectTypeOf<DocumentBody<'futures.compact/v1'>>().toExtend<BodyOf<typeof futuresCompactCommand>>();
    type Completion = ReturnType<typeof completionCommand>;
    expectTypeOf<BodyOf<Completion>>().toExtend<DocumentBody<'futures.completion/v1'>>();
    expectTypeOf<DocumentBody<'futures.completion/v1'>>().toExtend<BodyOf<Completion>>();
    // The demo's signals are typed `unknown` in DemoResult; the schema holds them to the signal documents.
    expectTypeOf<Omit<BodyOf<typeof futuresDemoCommand>, 'signals'>>().toExtend<
      Omit<DocumentBody<'futures.demo/v1'>, 'signals'>
    >();
    expectTypeOf<Omit<DocumentBody<'futures.demo/v1'>, 'signals'>>().toExtend<
      Omit<BodyOf<typeof futuresDemoCommand>, 'signals'>
    >();
    expectTypeOf<BodyOf<typeof futuresDashboardCommand>>().toExtend<DocumentBody<'futures.dashboard/v1'>>();
    expectTypeOf<DocumentBody<'futures.dashboard/v1'>>().toExtend<BodyOf<typeof futuresDashboardCommand>>();
    expectTypeOf<BodyOf<typeof futuresReportCommand>>().toExtend<DocumentBody<'futures.report/v1'>>();
    expectTypeOf<DocumentBody<'futures.report/v1'>>().toExtend<BodyOf<typeof futuresReportCommand>>();
    expectTypeOf<BodyOf<typeof futuresGatewayCommand>>().toExtend<DocumentBody<'futures.gateway/v1'>>();
    expectTypeOf<DocumentBody<'futures.gateway/v1'>>().toExtend<BodyOf<typeof futuresGatewayCommand>>();
    expectTypeOf<BodyOf<typeof futuresImportCommand>>().toExtend<DocumentBody<'futures.import/v1'>>();
    expectTypeOf<DocumentBody<'futures.import/v1'>>().toExtend<BodyOf<typeof futuresImportCommand>>();
    expectTypeOf<BodyOf<typeof futuresQueueRebuildCommand>>().toExtend<
      DocumentBody<'futures.queue.rebuild/v1'>
    >();
    expectTypeOf<DocumentBody<'futures.queue.rebuild/v1'>>().toExtend<
      BodyOf<typeof futuresQueueRebuildCommand>
    >();
    expectTypeOf<BodyOf<typeof futuresStatusCommand>>().toExtend<DocumentBody<'futures.status/v3'>>();
    expectTypeOf<DocumentBody<'futures.status/v3'>>().toExtend<BodyOf<typeof futuresStatusCommand>>();
    expectTypeOf<BodyOf<typeof futuresTableFilesCommand>>().toExtend<
      DocumentBody<'futures.table.files/v1'>
    >();
    expectTypeOf<DocumentBody<'futures.table.files/v1'>>().toExtend<
      BodyOf<typeof futuresTableFilesCommand>
    >();
    expectTypeOf<BodyOf<typeof futuresTableHistoryCommand>>().toExtend<
      DocumentBody<'futures.table.history/v1'>
    >();
    expectTypeOf<DocumentBody<'futures.table.history/v1'>>().toExtend<
      BodyOf<typeof futuresTableHistoryCommand>
    >();
    expectTypeOf<BodyOf<typeof futuresTableInfoCommand>>().toExtend<DocumentBody<'futures.table.info/v1'>>();
    expectTypeOf<DocumentBody<'futures.table.info/v1'>>().toExtend<BodyOf<typeof futuresTableInfoCommand>>();
    expectTypeOf<BodyOf<typeof futuresTableManifestCommand>>().toExtend<
      DocumentBody<'futures.table.manifest/v1'>
    >();
    expectTypeOf<DocumentBody<'futures.table.manifest/v1'>>().toExtend<
      BodyOf<typeof futuresTableManifestCommand>
    >();
    expectTypeOf<BodyOf<typeof futuresTableRepairCommand>>().toExtend<
      DocumentBody<'futures.table.repair/v1'>
    >();
    expectTypeOf<DocumentBody<'futures.table.repair/v1'>>().toExtend<
      BodyOf<typeof futuresTableRepairCommand>
    >();
    expectTypeOf<BodyOf<typeof futuresTableScanCommand>>().toExtend<DocumentBody<'futures.table.scan/v1'>>();
    expectTypeOf<DocumentBody<'futures.table.scan/v1'>>().toExtend<BodyOf<typeof futuresTableScanCommand>>();
    expectTypeOf<BodyOf<typeof futuresTableVerifyCommand>>().toExtend<
      DocumentBody<'futures.table.verify/v1'>
    >();
    expectTypeOf<DocumentBody<'futures.table.verify/v1'>>().toExtend<
      BodyOf<typeof futuresTableVerifyCommand>
    >();
  });
});
