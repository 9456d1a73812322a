/**
 * The one time-zone rule of the command line: a time a person types without an offset or Z means
 * America/New_York (parseInstant, src/market/zoned.ts); JSON carries UTC ISO; human output shows ET,
 * or the zone of `--tz` on the commands that print times.
 */
import { z } from 'zod';
import { ET_ZONE, isTimeZone, type ParseInstantOptions, parseInstant } from '../market/index.js';

export const INSTANT_HELP = "ISO-8601 with an offset or Z, or 'YYYY-MM-DD HH:MM' in ET";

/** A time flag → Date; a naive time is ET, a bad one a usage error naming the flag. */
export function instantFlag(options: ParseInstantOptions = {}) {
  return z.string().transform((value, ctx) => {
    try {
      return parseInstant(value, options);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  });
}

/** `--tz <zone>`: the zone human output shows times in (absent: ET). */
export const displayZoneShape = {
  tz: z
    .string()
    .transform((zone, ctx) => {
      if (isTimeZone(zone)) return zone;
      ctx.addIssue({
        code: 'custom',
        message: `unknown time zone '${zone}': use an IANA zone such as America/New_York, America/Chicago or UTC`,
      });
      return z.NEVER;
    })
    .optional(),
};

export const DISPLAY_ZONE_FLAG = {
  flags: '--tz <zone>',
  description: 'time zone of the times shown in human output (JSON stays UTC)',
  defaultDescription: ET_ZONE,
} as const;
