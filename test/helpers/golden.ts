/**
 * Golden files: a value is serialized stably and compared with the file; `UPDATE_GOLDEN=1`
 * rewrites the file instead. Arrays print one element per line so diffs stay readable; numbers
 * JSON cannot hold are written as strings (`"NaN"`, `"Infinity"`, `"-Infinity"`).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

function replacer(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

/** Stable text: a top-level array is written one element per line. */
export function goldenText(value: unknown): string {
  if (Array.isArray(value)) {
    return value.length === 0 ? '[]\n' : `[\n${value.map((v) => JSON.stringify(v, replacer)).join(',\n')}\n]\n`;
  }
  return `${JSON.stringify(value, replacer, 2)}\n`;
}

/** Compare `value` with the golden file at `path` (absolute), or rewrite it under UPDATE_GOLDEN=1. */
export function assertGolden(path: string, value: unknown): void {
  const text = goldenText(value);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return;
  }
  assert.ok(existsSync(path), `golden file ${path} is missing: run with UPDATE_GOLDEN=1`);
  assert.deepStrictEqual(JSON.parse(text), JSON.parse(readFileSync(path, 'utf8')), `output differs from ${path} (UPDATE_GOLDEN=1 rewrites it)`);
}
