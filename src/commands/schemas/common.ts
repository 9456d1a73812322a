import { z } from 'zod';

/** Pieces the futures.* document schemas share. */

/** An ISO-8601 instant: UTC (`…Z`) or with the New York offset (`…-04:00`), as each command prints it. */
export const instant = z.iso.datetime({ offset: true });
export const calendarDate = z.iso.date();
export const count = z.number().int().min(0);
export const milliseconds = z.number().min(0);
/** A Delta table version. */
export const version = z.number().int().min(0);

/** The body of a document plus its `schema` field, first as the CLI prints it (src/cli/output.ts). */
export function documentSchema<const Id extends string, S extends z.ZodRawShape>(
  id: Id,
  body: z.ZodObject<S>,
  meta: { title: string; description: string },
) {
  return z.object({ schema: z.literal(id), ...body.shape }).meta(meta);
}
