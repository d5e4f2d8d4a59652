/**
 * Checks on what a venue parser returns or throws: the ParseError of a call (tests assert its
 * code and field, not its text) and the single record of a frame.
 */
import assert from 'node:assert/strict';
import { ParseError } from '../../src/core/errors.ts';
import type { CaptureRecord } from '../../src/core/events.ts';

/** The ParseError `fn` throws (fails on anything else, or nothing); checks `code` and `field` when given. */
export function parseError(fn: () => unknown, code?: string, field?: string): ParseError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ParseError, `expected ParseError, got ${String(e)}`);
    if (code !== undefined) assert.equal(e.code, code, e.message);
    if (field !== undefined) assert.equal(e.field, field, e.message);
    return e;
  }
  assert.fail(`expected ParseError${code === undefined ? '' : ` ${code}`}`);
}

/** The one record a parse returned (fails on none, several, or null). */
export function onlyRecord<T extends CaptureRecord>(out: readonly CaptureRecord[] | null): T {
  assert.ok(out && out.length === 1, `expected one event, got ${JSON.stringify(out)}`);
  return out[0] as T;
}
