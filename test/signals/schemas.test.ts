import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jsonDocument } from '../../src/cli/output.js';
import { etWallTime } from '../../src/market/zoned.js';
import {
  computePremarket,
  computeRegime,
  errorDocumentSchema,
  JSON_SCHEMA_FILES,
  jsonSchemaText,
  REPLAY_SKIP_SCHEMA_ID,
  replayLineSchema,
} from '../../src/signals/index.js';
import { referenceInstant } from '../../src/signals/sessions.js';
import { flat, premarketInputs, regimeInputs } from './fixtures.js';

const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

describe('committed JSON Schema files', () => {
  it.each(JSON_SCHEMA_FILES.map((f) => [f.file, f.schema] as const))(
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
      expect(
        committed,
        `schemas/${file} is stale: run UPDATE_SCHEMAS=1 npx vitest run test/signals/schemas.test.ts`,
      ).toBe(expected);
    },
  );

  it('declare the schema ids as constants', () => {
    const premarket = JSON.parse(readFileSync(`${SCHEMAS_DIR}signals.premarket.v3.json`, 'utf8'));
    expect(premarket.properties.schema).toMatchObject({ const: 'signals.premarket/v3' });
    const regime = JSON.parse(readFileSync(`${SCHEMAS_DIR}signals.regime.v3.json`, 'utf8'));
    expect(regime.properties.schema).toMatchObject({ const: 'signals.regime/v3' });
  });
});

describe('document shapes', () => {
  it('the CLI error document matches error/v1 (with and without a hint)', () => {
    const withHint = JSON.parse(
      jsonDocument('error/v1', { error: { code: 'stale', message: 'old', hint: 'wait', exitCode: 6 } }),
    );
    expect(errorDocumentSchema.parse(withHint)).toEqual(withHint);
    const internal = JSON.parse(
      jsonDocument('error/v1', { error: { code: 'internal', message: 'x', exitCode: 1 } }),
    );
    expect(errorDocumentSchema.safeParse(internal).success).toBe(true);
    expect(errorDocumentSchema.safeParse({ schema: 'error/v1', error: { code: 'x' } }).success).toBe(false);
  });

  it('replay lines accept both documents and a skip record, after a JSON round trip', () => {
    const premarket = JSON.parse(
      JSON.stringify(computePremarket(premarketInputs({ z: { ES: 1, NQ: 1, RTY: 1 } }))),
    );
    const at = etWallTime('2025-06-11', 11, 0);
    const regime = JSON.parse(
      JSON.stringify(
        computeRegime(
          regimeInputs(at, referenceInstant('2025-06-10', false), { ES: { minutes: flat(241) } }),
        ),
      ),
    );
    const skip = {
      schema: REPLAY_SKIP_SCHEMA_ID,
      kind: 'premarket',
      asOf: at.toISOString(),
      error: { code: 'stale', message: 'no usable index', hint: null, exitCode: 6 },
    };
    for (const line of [premarket, regime, skip]) expect(replayLineSchema.parse(line)).toEqual(line);
    expect(
      replayLineSchema.safeParse({ ...premarket, decision: { ...premarket.decision, bias: 'up' } }).success,
    ).toBe(false);
  });
});
