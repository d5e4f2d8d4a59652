import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const read = (rel: string) => readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');

describe('error codes', () => {
  it('docs/SCHEMA.md lists every import error code of src/core/errors.ts, and no other', () => {
    const src = read('src/core/errors.ts');
    const union = (name: string) => [...(new RegExp(`export type ${name} =([^;]*);`).exec(src)?.[1] ?? '').matchAll(/'(E_[A-Z_]+)'/g)].map((m) => m[1]);
    const codes = [...new Set([...union('ParseErrorCode'), ...union('FileErrorCode')])].sort();
    assert.ok(codes.length > 10);
    const doc = read('docs/SCHEMA.md');
    const section = doc.slice(doc.indexOf('## Import errors'), doc.indexOf('\n## ', doc.indexOf('## Import errors') + 1));
    const listed = [...section.matchAll(/^\| `(E_[A-Z_]+)` \|/gm)].map((m) => m[1]).sort();
    assert.deepEqual(listed, codes);
  });
});
