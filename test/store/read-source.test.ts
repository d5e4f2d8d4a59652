import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FileError } from '../../src/core/errors.ts';
import { readLines } from '../../src/store/read-source.ts';

/** All lines readLines yields for `chunks`, with the line number of each. */
async function readAll(chunks: readonly Buffer[], maxLine?: number): Promise<{ no: number; text: string }[]> {
  const out: { no: number; text: string }[] = [];
  for await (const b of readLines('f.csv', Readable.from(chunks), maxLine)) {
    b.lines.forEach((text, i) => out.push({ no: b.firstLineNo + i, text }));
  }
  return out;
}

/** `text` cut into pieces at the given byte offsets (which may split a UTF-8 character). */
function cut(text: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at.map((a) => a % (text.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(text.subarray(prev, p));
    prev = p;
  }
  out.push(text.subarray(prev));
  return out.filter((b) => b.length > 0);
}

describe('readLines', () => {
  it('gives the same lines however the bytes are chunked (LF, CRLF, multi-byte characters, BOM)', async () => {
    const line = fc.string({ unit: fc.constantFrom('a', ',', '1', 'é', '币', '\r', ' '), maxLength: 30 }).filter((l) => !l.endsWith('\r'));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 20 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.array(fc.nat(), { maxLength: 12 }), async (lines, crlf, finalNewline, bom, at) => {
        const text = (bom ? '\ufeff' : '') + lines.join(crlf ? '\r\n' : '\n') + (finalNewline ? '\n' : '');
        const got = await readAll(cut(Buffer.from(text), at));
        const expected = lines.map((t, i) => ({ no: i + 1, text: t }));
        // A last empty line without newline is no line.
        if (!finalNewline && lines[lines.length - 1] === '') expected.pop();
        assert.deepEqual(got, expected);
      }),
      { numRuns: 300 },
    );
  });

  it('drops a byte-order mark only before line 1', async () => {
    const got = await readAll([Buffer.from('\ufeffa,b\n\ufeffc\n')]);
    assert.deepEqual(got.map((l) => l.text), ['a,b', '\ufeffc']);
  });

  it('refuses a line over the limit with E_LINE_TOO_LONG and its file:line, before reading the rest', async () => {
    const limit = 64 * 1024;
    let pulled = 0;
    // Two good lines, then a 2 MiB line of zeros in 16 KiB chunks, then more that must never be read.
    function* source(): Generator<Buffer> {
      yield Buffer.from('a\nb\n');
      for (let i = 0; i < 128; i++) {
        pulled++;
        yield Buffer.alloc(16 * 1024, 0x30);
      }
      yield Buffer.from('\nc\n');
    }
    await assert.rejects(
      (async () => {
        for await (const _ of readLines('big.csv', Readable.from(source()), limit));
      })(),
      (e: unknown) => {
        assert.ok(e instanceof FileError);
        assert.equal(e.code, 'E_LINE_TOO_LONG');
        assert.equal(e.line, 3);
        assert.match(e.message, /^big\.csv:3: line is longer than 65536 characters/);
        return true;
      },
    );
    assert.ok(pulled <= limit / (16 * 1024) + 2, `stopped early (read ${pulled} chunks of 128)`);
  });

  it('refuses a long line inside one chunk, and a long last line without newline', async () => {
    for (const text of ['ok\n' + 'x'.repeat(100) + '\nok\n', 'ok\nok\n' + 'y'.repeat(100)]) {
      await assert.rejects(readAll([Buffer.from(text)], 50), (e: unknown) => e instanceof FileError && e.code === 'E_LINE_TOO_LONG' && e.line === (text.startsWith('ok\nx') ? 2 : 3));
    }
    assert.deepEqual((await readAll([Buffer.from('z'.repeat(50) + '\n')], 50)).map((l) => l.text.length), [50], 'a line of exactly the limit passes');
  });

  it('reads a long line in linear time: 8 MiB in 4 KiB chunks', async () => {
    // Re-joining the growing line per chunk (the old reader) costs 2048 copies of up to 8 MiB: seconds.
    const chunks = Array.from({ length: 2048 }, () => Buffer.alloc(4096, 0x31));
    chunks.push(Buffer.from('\n'));
    const started = performance.now();
    const got = await readAll(chunks, 16 << 20);
    const ms = performance.now() - started;
    assert.equal(got[0].text.length, 8 << 20);
    assert.ok(ms < 1500, `took ${ms.toFixed(0)} ms`);
  });
});
