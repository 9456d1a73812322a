#!/usr/bin/env node
// A small decision-engine consumer: reads ONE signal document (or JSON Lines from a replay) on stdin,
// validates each against the JSON Schema files in ../schemas (chosen by the document's `schema`
// field), and prints a one-line decision per document. Exit 0 when every document is valid, 4 when one
// is not, 3 when the producer reported a failure (an error/v1 document). No dependencies: the
// validator below covers the keywords our generated schemas use (type, properties, required,
// additionalProperties, enum, const, anyOf, items, minimum/maximum, exclusiveMinimum, pattern, $ref).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const schemasDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');
const schemaFiles = {
  'signals.premarket/v3': 'signals.premarket.v3.json',
  'signals.regime/v3': 'signals.regime.v3.json',
  'error/v1': 'error.v1.json',
};

function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function validate(schema, value, root, path, errors) {
  if (schema === true || schema === undefined) return;
  if (schema.$ref) {
    const target = schema.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((node, key) => node?.[key], root);
    return validate(target, value, root, path, errors);
  }
  if (schema.anyOf) {
    const ok = schema.anyOf.some((option) => {
      const sub = [];
      validate(option, value, root, path, sub);
      return sub.length === 0;
    });
    if (!ok) errors.push(`${path}: matches none of the allowed shapes`);
    return;
  }
  if (schema.const !== undefined && value !== schema.const)
    errors.push(`${path}: must be ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value))
    errors.push(`${path}: must be one of ${schema.enum.join(', ')}`);
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
      errors.push(`${path}: expected ${types.join('|')}, got ${actual}`);
      return;
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      errors.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      errors.push(`${path}: above ${schema.maximum}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum)
      errors.push(`${path}: must exceed ${schema.exclusiveMinimum}`);
  }
  if (typeof value === 'string' && schema.pattern && !new RegExp(schema.pattern, 'u').test(value))
    errors.push(`${path}: does not match ${schema.pattern}`);
  if (Array.isArray(value) && schema.items) {
    for (const [i, item] of value.entries()) validate(schema.items, item, root, `${path}[${i}]`, errors);
  }
  if (typeOf(value) === 'object') {
    for (const key of schema.required ?? []) if (!(key in value)) errors.push(`${path}.${key}: missing`);
    for (const [key, item] of Object.entries(value)) {
      const sub = schema.properties?.[key];
      if (sub !== undefined) validate(sub, item, root, `${path}.${key}`, errors);
      else if (schema.additionalProperties === false) errors.push(`${path}.${key}: not allowed`);
      else if (typeof schema.additionalProperties === 'object')
        validate(schema.additionalProperties, item, root, `${path}.${key}`, errors);
    }
  }
}

function summarise(doc) {
  if (doc.schema === 'signals.premarket/v3') {
    const d = doc.decision ?? {};
    const ew = doc.earlyWarning === null ? '' : `; early warning ${doc.earlyWarning.level}`;
    return `premarket ${doc.asOf}: ${d.bias} / ${d.mode} (strength ${d.strength}, confidence ${d.confidence})${ew}`;
  }
  if (doc.schema === 'signals.regime/v3') {
    const from = doc.priorState?.source ?? 'none';
    return `regime ${doc.asOf}: ${doc.level} (candidate ${doc.candidate}, state ${from})`;
  }
  return `error: ${doc.error?.message}`;
}

const input = readFileSync(0, 'utf8').trim();
if (input === '') {
  console.error('consumer: no input on stdin (pipe `signals premarket --json` into it)');
  process.exit(2);
}
// One pretty-printed document, or JSON Lines from a replay.
let docs;
try {
  docs = [JSON.parse(input)];
} catch {
  docs = input
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}
let exitCode = 0;
for (const doc of docs) {
  const file = schemaFiles[doc.schema];
  if (!file) {
    console.error(`consumer: unknown schema ${JSON.stringify(doc.schema)}`);
    exitCode = 4;
    continue;
  }
  const schema = JSON.parse(readFileSync(join(schemasDir, file), 'utf8'));
  const errors = [];
  validate(schema, doc, schema, '$', errors);
  if (errors.length > 0) {
    console.error(`consumer: ${doc.schema} document is invalid:\n  ${errors.slice(0, 10).join('\n  ')}`);
    exitCode = 4;
    continue;
  }
  console.log(summarise(doc));
  if (doc.schema === 'error/v1' && exitCode === 0) exitCode = 3;
}
process.exit(exitCode);
