/**
 * Calendar facts that no rule produces: national days of mourning and Good Fridays on which the BLS
 * jobs report gives CME equity an abbreviated session. Config (`calendar.overrides`) extends or
 * replaces these by date.
 */

export type OverrideKind =
  /** NYSE closed; no CME equity session for this trade date. */
  | 'closed'
  /** NYSE closed; CME equity trades from the prior 18:00 ET until `cmeClose` (default 13:00), reopens 18:00. */
  | 'holiday'
  /** NYSE closes at `nyseClose` (default 13:00); CME equity at `cmeClose` (default 13:15). */
  | 'early_close'
  /** A regular day for both markets, cancelling a rule-based holiday or early close. */
  | 'open';

export interface CalendarOverride {
  date: string;
  kind: OverrideKind;
  /** 'HH:MM' ET: end of the CME equity session for this trade date. */
  cmeClose?: string | undefined;
  /** 'HH:MM' ET: NYSE close (early_close only). */
  nyseClose?: string | undefined;
  note: string;
}

export const BUILTIN_OVERRIDES: readonly CalendarOverride[] = [
  {
    date: '2015-04-03',
    kind: 'holiday',
    cmeClose: '09:15',
    note: 'Good Friday; jobs report day, CME equity abbreviated session until 09:15 ET',
  },
  {
    date: '2018-12-05',
    kind: 'holiday',
    cmeClose: '09:30',
    note: 'National Day of Mourning (George H. W. Bush); CME equity until 09:30 ET',
  },
  {
    date: '2021-04-02',
    kind: 'holiday',
    cmeClose: '09:15',
    note: 'Good Friday; jobs report day, CME equity abbreviated session until 09:15 ET',
  },
  {
    date: '2023-04-07',
    kind: 'holiday',
    cmeClose: '09:15',
    note: 'Good Friday; jobs report day, CME equity abbreviated session until 09:15 ET',
  },
  {
    date: '2025-01-09',
    kind: 'holiday',
    cmeClose: '09:30',
    note: 'National Day of Mourning (Jimmy Carter); CME equity until 09:30 ET',
  },
  {
    date: '2026-04-03',
    kind: 'holiday',
    cmeClose: '09:15',
    note: 'Good Friday; March jobs report expected, CME equity abbreviated session until 09:15 ET (verify with CME)',
  },
];
