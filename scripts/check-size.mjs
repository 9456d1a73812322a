#!/usr/bin/env node
// Keeps src/ readable: no file over MAX_FILE_LINES lines and no function over MAX_FUNCTION_LINES lines,
// except the table-only files named in ALLOWED_LARGE_FILES (also listed in the README's layout section).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const MAX_FILE_LINES = 600;
const MAX_FUNCTION_LINES = 120;
const ALLOWED_LARGE_FILES = new Set([]);

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function isFunctionLike(node) {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

const problems = [];
for (const file of sourceFiles(process.argv[2] ?? 'src')) {
  const name = relative(process.cwd(), file);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').length;
  if (lines > MAX_FILE_LINES && !ALLOWED_LARGE_FILES.has(name)) {
    problems.push(`${name}: ${lines} lines (at most ${MAX_FILE_LINES}; split it by concern)`);
  }
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (isFunctionLike(node) && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      const length = last - first + 1;
      if (length > MAX_FUNCTION_LINES) {
        const label = node.name ? node.name.getText(source) : '(anonymous function)';
        problems.push(`${name}:${first + 1}: ${label} is ${length} lines (at most ${MAX_FUNCTION_LINES})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
for (const problem of problems) console.error(problem);
if (problems.length > 0) {
  console.error(`check-size: ${problems.length} problem(s)`);
  process.exit(1);
}
