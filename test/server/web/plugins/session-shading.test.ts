import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SessionsResponse } from '../../../../src/server/api.ts';
import { toSessionSpans } from '../../../../src/server/web/plugins/session-shading/data.ts';
import { anyNumber } from './arbitraries.ts';

describe('session shading data', () => {
  it('keeps non-empty spans sorted by start', () => {
    const r: SessionsResponse = { spans: [{ name: 'US', fromMs: 50, toMs: 80 }, { name: 'Asia', fromMs: 0, toMs: 30 }, { name: 'Europe', fromMs: 40, toMs: 40 }] };
    assert.deepEqual(toSessionSpans(r).map((s) => s.name), ['Asia', 'US']);
  });

  it('never throws; every span kept is finite and non-empty', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ name: fc.oneof(fc.string(), fc.constant(3 as unknown as string)), fromMs: anyNumber, toMs: anyNumber }), { maxLength: 10 }), (spans) => {
        for (const s of toSessionSpans({ spans })) assert.ok(Number.isFinite(s.fromMs) && Number.isFinite(s.toMs) && s.toMs > s.fromMs && typeof s.name === 'string');
      }),
    );
    assert.deepEqual(toSessionSpans(undefined), []);
  });
});
