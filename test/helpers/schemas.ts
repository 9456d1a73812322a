import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/**
 * The committed JSON Schema files (schemas/*.json) compiled with ajv, as a consumer in another language
 * would use them: a document is checked against the file its `schema` field names.
 */
const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

// ajv-formats is CommonJS: its default export arrives as the module object under nodenext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

let ajv: Ajv2020 | undefined;

function instance(): Ajv2020 {
  if (ajv) return ajv;
  ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  for (const file of readdirSync(SCHEMAS_DIR)) {
    ajv.addSchema(JSON.parse(readFileSync(`${SCHEMAS_DIR}${file}`, 'utf8')), file);
  }
  return ajv;
}

/** `futures.status/v2` → `futures.status.v2.json`. */
export function schemaFile(id: string): string {
  return `${id.replace('/', '.')}.json`;
}

/** ajv's errors for `doc` against the schema file of `file` (default: the one its `schema` field names). */
export function schemaErrors(doc: unknown, file?: string): string[] {
  const id = (doc as { schema?: unknown } | null)?.schema;
  const name = file ?? (typeof id === 'string' ? schemaFile(id) : '');
  const validate = instance().getSchema(name);
  if (!validate) return [`no schema file ${name}`];
  if (validate(doc)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  );
}

/** Compiles every schema file (ajv strict mode: unknown keywords and formats fail); their names. */
export function compileAll(): string[] {
  const names = readdirSync(SCHEMAS_DIR);
  for (const name of names) {
    if (!instance().getSchema(name)) throw new Error(`schemas/${name} did not compile`);
  }
  return names;
}
