import type { AnyCommand } from '../../cli/command.js';
import { futuresBackfillCommand } from './backfill.js';
import { futuresCalendarCommand, futuresCalendarIsOpenCommand } from './calendar.js';
import { futuresCollectCommand } from './collect.js';
import { futuresCompactCommand } from './compact.js';
import { completionCommand } from './completion.js';
import { futuresDashboardCommand } from './dashboard.js';
import { futuresDemoCommand } from './demo.js';
import { futuresGatewayCommand } from './gateway.js';
import { futuresImportCommand } from './import.js';
import { futuresQueueRebuildCommand } from './queue-rebuild.js';
import { futuresReportCommand } from './report.js';
import { futuresStatusCommand } from './status.js';
import { futuresTableFilesCommand } from './table-files.js';
import { futuresTableHistoryCommand } from './table-history.js';
import { futuresTableInfoCommand } from './table-info.js';
import { futuresTableManifestCommand } from './table-manifest.js';
import { futuresTableRepairCommand } from './table-repair.js';
import { futuresTableScanCommand } from './table-scan.js';
import { futuresTableVerifyCommand } from './table-verify.js';

/** Every `futures` command; src/cli/program.ts builds the commander tree from this list. */
export const futuresCommands: readonly AnyCommand[] = [
  // The first thing to run, first in the help.
  futuresDemoCommand,
  futuresCalendarCommand,
  futuresCalendarIsOpenCommand,
  futuresCollectCommand,
  futuresBackfillCommand,
  futuresStatusCommand,
  futuresDashboardCommand,
  futuresReportCommand,
  futuresGatewayCommand,
  futuresImportCommand,
  futuresTableInfoCommand,
  futuresTableHistoryCommand,
  futuresTableScanCommand,
  futuresTableVerifyCommand,
  futuresTableFilesCommand,
  futuresTableManifestCommand,
  futuresTableRepairCommand,
  futuresCompactCommand,
  futuresQueueRebuildCommand,
  completionCommand(async () => [
    { name: 'futures', commands: futuresCommands },
    { name: 'signals', commands: (await import('../signals/index.js')).signalsCommands },
  ]),
];
