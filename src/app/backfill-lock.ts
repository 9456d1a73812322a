/** The process lock `futures backfill` holds (status reads it without loading the IB module). */
export const BACKFILL_LOCK = 'backfill';
