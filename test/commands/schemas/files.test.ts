import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { futuresCommands } from '../../../src/commands/futures/index.js';
import { FUTURES_DOCUMENT_SCHEMAS, FUTURES_JSON_SCHEMA_FILES } from '../../../src/commands/schemas/index.js';
import { JSON_SCHEMA_FILES, jsonSchemaText } from '../../../src/signals/index.js';

const SCHEMAS_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

describe('committed JSON Schema files of the futures documents', () => {
  it.each(FUTURES_JSON_SCHEMA_FILES.map((f) => [f.file, f.schema] as const))(
    'schemas/%s is up to date',
    (file, schema) => {
      const expected = jsonSchemaText(schema);
      const path = `${SCHEMAS_DIR}${file}`;
      if (process.env.UPDATE_SCHEMAS === '1') writeFileSync(path, expected);
      let committed = '';
      try {
        committed = readFileSync(path, 'utf8');
      } catch {
        // missing file: reported by the assertion below
      }
      expect(committed, `schemas/${file} is stale: run npm run schemas`).toBe(expected);
    },
  );

  it('every futures command has a document schema, and every schema a command', () => {
    const ids = futuresCommands.map((c) => c.jsonSchemaId).sort();
    expect(Object.keys(FUTURES_DOCUMENT_SCHEMAS).sort()).toEqual([...new Set(ids)]);
  });

  it('schemas/ holds exactly the generated files', () => {
    const generated = [...JSON_SCHEMA_FILES, ...FUTURES_JSON_SCHEMA_FILES].map((f) => f.file).sort();
    expect(readdirSync(SCHEMAS_DIR).sort()).toEqual(generated);
  });

  it('each file declares its document id as the schema constant', () => {
    for (const [id, { file }] of Object.keys(FUTURES_DOCUMENT_SCHEMAS).map(
      (key, i) => [key, FUTURES_JSON_SCHEMA_FILES[i] ?? { file: '' }] as const,
    )) {
      const json = JSON.parse(readFileSync(`${SCHEMAS_DIR}${file}`, 'utf8'));
      expect(json.properties.schema, file).toMatchObject({ const: id });
    }
  });
});
