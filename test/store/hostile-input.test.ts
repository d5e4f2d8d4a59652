/**
 * Hostile files against `import`: each shape fails (or is skipped) with its code and file:line,
 * never ends a batch, and never changes what the store holds. Sizes are small (a 2 MiB line
 * against a lowered limit) so the suite stays fast; the shapes are the ones that hurt at scale.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { FileError, ParseError } from '../../src/core/errors.ts';
import { isValidSymbol } from '../../src/core/symbol.ts';
import { importPaths } from '../../src/store/import-paths.ts';
import { exportParquet } from '../../src/store/parquet.ts';
import { Store } from '../../src/store/store.ts';
import { allFormats } from '../../src/venues/formats.ts';
import { importInto, tempDir } from '../helpers/store.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const AGG = readFileSync(join(FIXTURES, 'binance/archive/BTCUSDT-aggTrades-2024-08-08.csv'), 'utf8').trimEnd().split('\n');
const CAPTURE = readFileSync(join(FIXTURES, 'binance/binance-um-ws-aggTrade-2021-07-22-head30.jsonl'), 'utf8').trimEnd().split('\n');
const TARDIS = readFileSync(join(FIXTURES, 'tardis/binance-futures_trades_2024-08-08_BTCUSDT.csv'), 'utf8').trimEnd().split('\n');

/** What the store holds, table by table (row count and an order-free hash of the rows). */
async function fingerprint(store: Store): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of ['trades', 'liquidations', 'book', 'tickers', 'klines', 'depth_bands', 'imports']) {
    const [r] = await store.rows<{ n: bigint; h: string | null }>(`SELECT count(*) AS n, sum(hash(t))::VARCHAR AS h FROM ${t} t`);
    out[t] = `${r.n}:${r.h}`;
  }
  return out;
}

/**
 * A store seeded with one real file, and a check that a hostile import left it exactly as it was,
 * after closing and opening it again.
 */
async function seededStore(): Promise<{ home: string; store: Store; unchanged: () => Promise<void> }> {
  const dir = tempDir();
  const home = join(dir, 'home');
  let store = await Store.open(home);
  const seed = join(dir, 'seed.jsonl');
  writeFileSync(seed, `${CAPTURE.slice(0, 10).join('\n')}\n`);
  await importInto(store, seed);
  const before = await fingerprint(store);
  const handle = {
    home,
    store,
    async unchanged(): Promise<void> {
      handle.store.close();
      handle.store = store = await Store.open(home);
      assert.deepEqual(await fingerprint(store), before, 'the store holds what it held');
    },
  };
  return handle;
}

async function rejectsWith(p: Promise<unknown>, code: string | RegExp, where: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof FileError || e instanceof ParseError, `expected a typed error, got ${String(e)}`);
    if (typeof code === 'string') assert.equal(e.code, code, e.message);
    else assert.match(e.code, code, e.message);
    assert.match(e.message, where);
    return true;
  });
}

describe('hostile input: over-long lines', () => {
  it('fails fast with E_LINE_TOO_LONG at file:line for a 2 MiB line in CSV, gzip and capture files, store untouched', async () => {
    const s = await seededStore();
    const dir = tempDir();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('agg.csv', 'agg.csv.gz', 'capture.jsonl', 'capture.jsonl.gz'),
        fc.integer({ min: 2, max: 20 }),
        fc.constantFrom('0', 'a', '{', ','),
        async (kind, at, fill) => {
          const lines = kind.startsWith('agg') ? AGG.slice(0, 25) : CAPTURE.slice(10, 30);
          const big = [...lines.slice(0, at - 1), fill.repeat(2 << 20), ...lines.slice(at - 1)].join('\n');
          const name = `BTCUSDT-aggTrades-2024-08-08-${kind}`;
          const path = join(dir, name);
          writeFileSync(path, kind.endsWith('.gz') ? gzipSync(big) : big);
          await rejectsWith(importInto(s.store, path, { maxLineChars: 64 * 1024 }), 'E_LINE_TOO_LONG', new RegExp(`${name}(![^:]+)?:${at}: line is longer than 65536 (characters|bytes)`));
          await rejectsWith(importInto(s.store, path, { maxLineChars: 64 * 1024, skipBadRows: true }), 'E_LINE_TOO_LONG', new RegExp(`${name}(![^:]+)?:${at}:`));
        },
      ),
      { numRuns: 8 },
    );
    await s.unchanged();
  });
});

/** `[[[...]]]` or `{"a":{"a":...}}`, `depth` deep. */
function nested(depth: number, objects: boolean): string {
  return objects ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth);
}

describe('hostile input: deeply nested JSON', () => {
  it('names the file and line of the frame that overflowed the stack (E_JSON), not "Maximum call stack size exceeded"', async () => {
    const s = await seededStore();
    const path = join(tempDir(), 'deep.jsonl');
    // The reported shape: 200,000 nested arrays as `data`, which the message printer walks recursively.
    writeFileSync(path, `${CAPTURE[10]}\n{"stream":"btcusdt@aggTrade","data":${nested(200_000, false)}}\n${CAPTURE[11]}\n`);
    await rejectsWith(importInto(s.store, path), 'E_JSON', /deep\.jsonl:2: JSON nested too deeply to read/);
    await s.unchanged();
  });

  // Nested past what recursive code can walk it is E_JSON; otherwise the frame is read and refused
  // for its shape (E_MESSAGE, E_FIELD): which one depends on the stack size. Either way one bad row.
  it('is one bad row at file:line, skipped with --skip-bad-rows, the rest imported', async () => {
    const s = await seededStore();
    const dir = tempDir();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 19 }), fc.integer({ min: 20_000, max: 150_000 }), fc.boolean(), fc.constantFrom('data', 'top', 'field'), async (at, depth, objects, where) => {
        const deep = nested(depth, objects);
        const frame = where === 'top' ? deep : where === 'data' ? `{"stream":"btcusdt@aggTrade","data":${deep}}` : CAPTURE[15].replace(/"p":"[^"]*"/, `"p":${deep}`);
        const good = CAPTURE.slice(10, 30);
        const lines = [...good.slice(0, at - 1), frame, ...good.slice(at - 1)];
        const path = join(dir, `deep-${at}-${depth}.jsonl`);
        writeFileSync(path, `${lines.join('\n')}\n`);
        await rejectsWith(importInto(s.store, path), /^E_(JSON|MESSAGE|FIELD)$/, new RegExp(`deep-${at}-${depth}\\.jsonl:${at}: `));
        await s.unchanged();
        // With --skip-bad-rows (on a copy: the store keeps it), every good frame is stored.
        const copy = await Store.open(join(tempDir(), 'home'));
        try {
          const r = await importInto(copy, path, { skipBadRows: true });
          assert.equal(r.skipped, 1);
          assert.equal(Object.values(r.skippedByCode)[0], 1);
          assert.equal(r.rows, good.length);
        } finally {
          copy.close();
        }
      }),
      { numRuns: 6 },
    );
  });
});

describe('hostile input: symbols from file content', () => {
  it('accepts the real symbols of every venue and market kind', () => {
    const real = [
      'BTCUSDT', '1000PEPEUSDT', 'BTCUSD_PERP', 'BTCUSDT_240927', 'ETHBTC', '币安人生USDT',
      'BTC-USDT-SWAP', 'UNI-USD-SWAP', 'BTC-USD-220527', 'BTC-USD-240927-60000-C', 'BTC-USDT',
      'BTCPERP', 'BTCUSDU23', 'BTC-27DEC24-100000-C', 'BTC-PERPETUAL', 'XBT/USD', 'BTC/USDT:USDT',
    ];
    for (const s of real) assert.ok(isValidSymbol(s), s);
    for (const s of ['', 'BTC USDT', 'BTC\u001b[2JUSDT', 'BTC\u009bUSDT', 'BTC\u202eUSDT', 'A'.repeat(41), 'BTC"USDT', 'BTC;USDT']) assert.ok(!isValidSymbol(s), JSON.stringify(s));
  });

  it('refuses a frame or row whose symbol is too long or carries control characters: E_SYMBOL at file:line, store untouched', async () => {
    const s = await seededStore();
    const dir = tempDir();
    const hostile = fc.oneof(
      fc.string({ unit: fc.constantFrom('A', 'B', '\u001b', '[', '2', 'J', '\u0007', '\u009b', '\u202e', ' ', '\u0000'), minLength: 1, maxLength: 30 }),
      fc.integer({ min: 41, max: 200_000 }).map((n) => 'X'.repeat(n)),
    ).filter((sym) => !isValidSymbol(sym));
    await fc.assert(
      fc.asyncProperty(hostile, fc.boolean(), fc.integer({ min: 2, max: 9 }), async (sym, capture, at) => {
        let lines: string[];
        let name: string;
        if (capture) {
          name = 'sym.jsonl';
          lines = CAPTURE.slice(10, 20);
          const frame = JSON.parse(lines[at - 1]) as { data: { s: string } };
          frame.data.s = sym;
          lines[at - 1] = JSON.stringify(frame);
        } else {
          name = 'binance-futures_trades_2024-08-08_BTCUSDT.csv';
          lines = TARDIS.slice(0, 10);
          lines[at - 1] = lines[at - 1].replace(',BTCUSDT,', `,${sym.replace(/[,\n\r]/g, 'x')},`);
        }
        const path = join(dir, name);
        writeFileSync(path, `${lines.join('\n')}\n`);
        await assert.rejects(importInto(s.store, path), (e: unknown) => {
          assert.ok(e instanceof ParseError, String(e));
          assert.equal(e.code, 'E_SYMBOL', e.message);
          assert.ok(e.message.startsWith(`${path}:${at}: `), e.message);
          assert.ok(e.message.length < 400, 'the message shows a shortened value');
          return true;
        });
      }),
      { numRuns: 25 },
    );
    await s.unchanged();
  });
});

describe('hostile input: symbols in Parquet files', () => {
  it('refuses a Parquet file holding a symbol no venue uses: E_SYMBOL with its row, store untouched', async () => {
    const s = await seededStore();
    for (const evil of ['X'.repeat(41), 'BTC\u001b[2JUSDT']) {
      const other = await Store.open(join(tempDir(), 'home'));
      const out = join(tempDir(), 'parquet');
      try {
        const seed = join(tempDir(), 'seed.jsonl');
        writeFileSync(seed, `${CAPTURE.slice(20, 25).join('\n')}\n`);
        await importInto(other, seed);
        await other.run('UPDATE trades SET symbol = $1 WHERE trade_id = (SELECT max(trade_id) FROM trades)', [evil]);
        await exportParquet(other, out, { tables: ['trades'] });
      } finally {
        other.close();
      }
      const files = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.parquet')).map((f) => join(out, f));
      // The partition of the one row that got the evil symbol (DuckDB percent-encodes the folder name).
      const bad = files.find((f) => !/symbol=(SUSHI|CTK|AKRO|KEEP)USDT\//.test(f));
      assert.ok(bad, `a file holds the symbol (${files.join(', ')})`);
      await rejectsWith(importInto(s.store, bad), 'E_SYMBOL', /\.parquet: row 1: symbol/);
    }
    await s.unchanged();
  });
});

describe('hostile input: folders', () => {
  it('skips documentation, checksums, labels and link loops with a reason, and keeps walking', async () => {
    const dir = tempDir();
    const root = join(dir, 'data');
    mkdirSync(join(root, 'sub'), { recursive: true });
    const data = join(root, 'sub', 'binance-um-ws-aggTrade.jsonl');
    writeFileSync(data, `${CAPTURE.slice(0, 5).join('\n')}\n`);
    writeFileSync(join(root, 'README.md'), '# what these files are\n');
    writeFileSync(join(root, 'labels.json'), '{"labels":[{"ts":1,"kind":"cluster"}]}\n');
    writeFileSync(join(root, 'notes.txt'), 'recorded on my laptop\n');
    writeFileSync(join(root, 'BTCUSDT-aggTrades-2024-08-08.zip.CHECKSUM'), `${'0'.repeat(64)}  BTCUSDT-aggTrades-2024-08-08.zip\n`);
    writeFileSync(join(root, 'chart.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    writeFileSync(join(root, '.hidden.csv'), 'x\n');
    symlinkSync('..', join(root, 'sub', 'up'));
    symlinkSync('self', join(root, 'self'));
    symlinkSync('nowhere', join(root, 'broken.csv'));
    symlinkSync('sub', join(root, 'sub-link'));

    const { files, skipped } = await importPaths([root], allFormats());
    assert.deepEqual(files, [data]);
    const reasons = Object.fromEntries(skipped.map((s) => [s.path.slice(root.length + 1), s.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['BTCUSDT-aggTrades-2024-08-08.zip.CHECKSUM', 'README.md', 'broken.csv', 'sub-link', 'chart.png', 'labels.json', 'notes.txt', 'self', 'sub/up'].sort());
    assert.match(reasons['sub/up'], /^symbolic link loop \(back to /);
    assert.match(reasons.self, /^symbolic link loop$/);
    assert.match(reasons['sub-link'], /^same folder as .*sub, already walked$/);
    assert.match(reasons['broken.csv'], /broken symbolic link/);
    assert.match(reasons['README.md'], /documentation/);
    assert.match(reasons['labels.json'], /no format reads/);
    assert.match(reasons['notes.txt'], /no format reads/);
    assert.match(reasons['BTCUSDT-aggTrades-2024-08-08.zip.CHECKSUM'], /checksum/);
    assert.match(reasons['chart.png'], /not a market-data file type \(\.png\)/);
  });

  it('walks any tree of folders and links once: every data file found exactly once, never a throw', async () => {
    const base = tempDir();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }).chain((dirs) => fc.record({
          dirs: fc.constant(dirs),
          // Folder i > 0 lives in a folder before it, so the tree is connected.
          parents: fc.array(fc.nat(), { minLength: dirs - 1, maxLength: dirs - 1 }),
          data: fc.array(fc.boolean(), { minLength: dirs, maxLength: dirs }),
          links: fc.array(fc.tuple(fc.nat(dirs - 1), fc.nat(dirs - 1)), { maxLength: 6 }),
        })),
        async ({ dirs, parents, data, links }) => {
          const root = join(base, `t${n++}`);
          const paths = [root];
          for (let i = 1; i < dirs; i++) paths.push(join(paths[parents[i - 1] % i], `d${i}`));
          for (const p of paths) mkdirSync(p, { recursive: true });
          const expected = new Set<string>();
          paths.forEach((p, i) => {
            writeFileSync(join(p, 'README.md'), 'docs\n');
            if (data[i]) {
              writeFileSync(join(p, 'trades.jsonl'), `${CAPTURE[0]}\n`);
              expected.add(join(p, 'trades.jsonl'));
            }
          });
          links.forEach(([from, to], k) => symlinkSync(paths[to], join(paths[from], `link${k}`)));
          const { files, skipped } = await importPaths([root], allFormats());
          const real = files.map((f) => realpathSync(f));
          assert.equal(new Set(real).size, real.length, 'no file twice');
          assert.deepEqual(new Set(real), new Set([...expected].map((f) => realpathSync(f))));
          assert.ok(skipped.every((x) => x.reason.length > 0));
          assert.equal(skipped.filter((x) => x.path.endsWith('README.md')).length, paths.length, 'each README listed once');
        },
      ),
      { numRuns: 30 },
    );
  });

  it('reads every file named on the command line, data or not', async () => {
    const dir = tempDir();
    const readme = join(dir, 'README.md');
    writeFileSync(readme, '# notes\n');
    const { files, skipped } = await importPaths([readme], allFormats());
    assert.deepEqual(files, [readme]);
    assert.deepEqual(skipped, []);
    await assert.rejects(importPaths([join(dir, 'missing.csv')], allFormats()), (e: unknown) => e instanceof FileError && e.code === 'E_IO');
  });

  it('finds every data file of a real download tree whatever else lies in it', async () => {
    const samples = new URL('../../samples/', import.meta.url).pathname;
    const { files, skipped } = await importPaths([samples], allFormats());
    assert.equal(files.length, 11);
    assert.deepEqual(skipped.map((s) => [s.path.slice(samples.length), s.reason]), [['README.md', 'documentation, not market data']]);
  });
});

describe('hostile input: byte-order marks', () => {
  it('imports a CSV with a UTF-8 BOM before its header exactly as without, plain and gzip', async () => {
    for (const [lines, name] of [[AGG.slice(0, 30), 'BTCUSDT-aggTrades-2024-08-08.csv'], [TARDIS.slice(0, 30), 'binance-futures_trades_2024-08-08_BTCUSDT.csv']] as const) {
      for (const gz of [false, true]) {
        const plain = await Store.open(join(tempDir(), 'home'));
        const bom = await Store.open(join(tempDir(), 'home'));
        try {
          const text = `${lines.join('\n')}\n`;
          const a = join(tempDir(), name + (gz ? '.gz' : ''));
          const b = join(tempDir(), name + (gz ? '.gz' : ''));
          writeFileSync(a, gz ? gzipSync(text) : text);
          writeFileSync(b, gz ? gzipSync(`\ufeff${text}`) : `\ufeff${text}`);
          const ra = await importInto(plain, a);
          const rb = await importInto(bom, b);
          assert.equal(rb.rows, ra.rows, `${name} gz=${gz}`);
          assert.equal(rb.format, ra.format);
          const rowsOf = (st: Store) => st.rows('SELECT venue::VARCHAR AS v, symbol, epoch_us(ts)::DOUBLE AS t, price, qty, side::VARCHAR AS s, trade_id FROM trades ORDER BY ALL');
          assert.deepEqual(await rowsOf(bom), await rowsOf(plain));
        } finally {
          plain.close();
          bom.close();
        }
      }
    }
  });
});
