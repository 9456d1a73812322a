#!/usr/bin/env node
// A small decision-engine consumer: reads ONE document (`signals premarket --json`, `futures status --json`,
// any --json output) or the JSON Lines of a replay (`signals premarket|regime --from … --to …`) on stdin,
// validates each against the JSON Schema files in ../schemas with ajv (a document against the file its
// `schema` field names; a replay line against signals.replay-line.v1.json, which also covers the
// signals.replay-skip/v1 records of instants that produced no document), and prints one line per
// document. Exit 0 when every document is valid, 4 when one is not (or names no known schema), 3 when the
// producer reported a failure (an error/v1 document), 2 on empty or unparsable input.
// Outside this repository: npm install ajv ajv-formats, and copy or point schemasDir at the schemas/
// directory of the futures-signals package (also exported as 'futures-signals/schemas/*').
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const schemasDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');
const REPLAY_LINE = 'signals.replay-line.v1.json';
const REPLAY_IDS = new Set(['signals.premarket/v3', 'signals.regime/v3', 'signals.replay-skip/v1']);

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
for (const file of readdirSync(schemasDir).filter((f) => f.endsWith('.json'))) {
  ajv.addSchema(JSON.parse(readFileSync(join(schemasDir, file), 'utf8')), file);
}

/** `futures.status/v2` → `futures.status.v2.json`; replay lines → the replay-line union. */
function schemaFileOf(id, replay) {
  if (replay && REPLAY_IDS.has(id)) return REPLAY_LINE;
  return `${id.replace('/', '.')}.json`;
}

function summarise(doc) {
  switch (doc.schema) {
    case 'signals.premarket/v3': {
      const d = doc.decision;
      const ew = doc.earlyWarning === null ? '' : `; early warning ${doc.earlyWarning.level}`;
      return `premarket ${doc.asOf}: ${d.bias} / ${d.mode} (strength ${d.strength}, confidence ${d.confidence})${ew}`;
    }
    case 'signals.regime/v3':
      return `regime ${doc.asOf}: ${doc.level} (candidate ${doc.candidate}, state ${doc.priorState?.source ?? 'none'})`;
    case 'signals.replay-skip/v1':
      return `${doc.kind} ${doc.asOf}: skipped (${doc.error.code}: ${doc.error.message})`;
    case 'futures.status/v2': {
      const stale = doc.instruments.filter((i) => i.stale).map((i) => i.symbol);
      return `status ${doc.now}: market ${doc.market.open ? 'open' : 'closed'}, ${stale.length === 0 ? 'fresh' : `stale ${stale.join(',')}`}`;
    }
    case 'error/v1':
      return `error: ${doc.error.message}`;
    default:
      return `${doc.schema}: valid`;
  }
}

const input = readFileSync(0, 'utf8').trim();
if (input === '') {
  console.error('consumer: no input on stdin (pipe `signals premarket --json` into it)');
  process.exit(2);
}
// One pretty-printed document, or JSON Lines from a replay.
let docs;
let replay = false;
try {
  docs = [JSON.parse(input)];
} catch {
  try {
    docs = input
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line));
    replay = true;
  } catch (error) {
    console.error(`consumer: input is neither one JSON document nor JSON Lines: ${error.message}`);
    process.exit(2);
  }
}

let exitCode = 0;
for (const [i, doc] of docs.entries()) {
  const where = replay ? `line ${i + 1}: ` : '';
  const id = doc?.schema;
  const validate = typeof id === 'string' ? ajv.getSchema(schemaFileOf(id, replay)) : undefined;
  if (!validate) {
    console.error(`consumer: ${where}unknown schema ${JSON.stringify(id)}`);
    exitCode = 4;
    continue;
  }
  if (!validate(doc)) {
    const errors = validate.errors.slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message}`);
    console.error(`consumer: ${where}${id} document is invalid:\n  ${errors.join('\n  ')}`);
    exitCode = 4;
    continue;
  }
  console.log(summarise(doc));
  if (id === 'error/v1' && exitCode === 0) exitCode = 3;
}
process.exit(exitCode);
