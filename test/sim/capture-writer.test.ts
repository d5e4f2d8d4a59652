/**
 * `sim --out`: a run written as raw captures goes through `orderflow import DIR` (the real
 * parsers, units and importer) and comes back as the events it was made of; the book streams
 * obey each venue's sequencing as the live connectors check it; the output is byte-identical for
 * the same run; labels.json is skipped by the import and parses back equal.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BookEvent, BookLevel, LiquidationEvent, MarketEvent, TickerEvent, TradeEvent, Venue } from '../../src/core/events.ts';
import { DEFAULT_LATENCY_MS, LABELS_FILE, writeSimCapture, type SimCaptureSummary } from '../../src/sim/capture-writer.ts';
import { importPaths } from '../../src/store/import-paths.ts';
import { Store } from '../../src/store/store.ts';
import { BinanceBookSync } from '../../src/venues/binance/book-sync.ts';
import { BybitBookSync } from '../../src/venues/bybit/book-sync.ts';
import { allFormats } from '../../src/venues/formats.ts';
import { OkxBookSync } from '../../src/venues/okx/book-sync.ts';
import { BIN } from '../helpers/paths.ts';
import { importInto, tempDir } from '../helpers/store.ts';
import { DEFAULT_LABELS, handMadeEvents, liquidation, lots, px, SIM_VENUES, START_MS, syntheticRun, trade } from './synthetic-run.ts';

const VENUE_ORDER = new Map(SIM_VENUES.map((v, i) => [v, i]));

/**
 * A size as the importer keeps it: exactly the simulated one. OKX sizes travel in contracts and
 * come back as the exact decimal contracts x 0.01 (core/decimal.ts), not a float product.
 */
const size = (q: number) => q;
const SIZE_FIELDS = new Set(['bestBidQty', 'bestAskQty', 'openInterest', 'openInterestValue']);

async function withStore<T>(home: string, read: (s: Store) => Promise<T>): Promise<T> {
  const store = await Store.open(home, { readOnly: true });
  try {
    return await read(store);
  } finally {
    store.close();
  }
}

function importCli(dir: string, home: string): { path: string; status: string; reason?: string; rows?: number }[] {
  const r = spawnSync(BIN, ['import', dir, '--home', home, '--json'], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  assert.equal(r.status, 0, `import failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

interface Row {
  venue: Venue;
  ts: number;
  local: number;
  [k: string]: unknown;
}

/** Rows of a query, numbers as numbers (DuckDB gives bigint for epoch_ms). */
async function rows(store: Store, sql: string): Promise<Row[]> {
  const got = await store.rows<Record<string, unknown>>(sql);
  return got.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])) as Row);
}

interface Flow {
  venue: string;
  symbol: string;
  ts: number;
  local: number;
  price: number;
  qty: number;
  side: string;
}

/** Per venue, by time, then by side, price and size (rows of one millisecond have no order in the store). */
function byFlow(a: Flow, b: Flow): number {
  const ka = `${a.side}:${a.price}:${a.qty}`;
  const kb = `${b.side}:${b.price}:${b.qty}`;
  return VENUE_ORDER.get(a.venue as Venue)! - VENUE_ORDER.get(b.venue as Venue)! || a.ts - b.ts || (ka < kb ? -1 : ka > kb ? 1 : 0);
}

function expectedFlow(events: readonly MarketEvent[], type: 'trade' | 'liquidation'): Flow[] {
  return events
    .filter((e): e is TradeEvent | LiquidationEvent => e.type === type)
    .map((e) => ({ venue: e.venue, symbol: e.symbol, ts: Math.round(e.ts), local: Math.round(e.ts) + DEFAULT_LATENCY_MS[e.venue], price: e.price, qty: size(e.qty), side: e.side }))
    .sort(byFlow);
}

async function storedFlow(store: Store, table: 'trades' | 'liquidations'): Promise<Flow[]> {
  const got = await rows(store, `SELECT venue::VARCHAR AS venue, symbol, epoch_ms(ts) AS ts, epoch_ms(local_ts) AS local, price, qty, side::VARCHAR AS side FROM ${table}`);
  return got.map((r) => ({ ...(r as unknown as Flow), qty: size(r.qty as number) })).sort(byFlow);
}

/** Ticker fields each venue's capture carries (docs/SIMULATOR.md "Output"): what must come back. */
const CARRIED: Record<string, readonly (keyof TickerEvent)[]> = {
  binance: ['markPrice', 'indexPrice', 'fundingRate', 'nextFundingTs', 'openInterest', 'bestBid', 'bestBidQty', 'bestAsk', 'bestAskQty'],
  okx: ['markPrice', 'fundingRate', 'nextFundingTs', 'openInterest', 'lastPrice', 'bestBid', 'bestBidQty', 'bestAsk', 'bestAskQty'],
  bybit: ['markPrice', 'indexPrice', 'lastPrice', 'fundingRate', 'nextFundingTs', 'openInterest', 'openInterestValue', 'bestBid', 'bestBidQty', 'bestAsk', 'bestAskQty'],
};
const COLUMN: Record<string, string> = {
  markPrice: 'mark_price', indexPrice: 'index_price', lastPrice: 'last_price', fundingRate: 'funding_rate', nextFundingTs: 'epoch_ms(next_funding_ts)',
  openInterest: 'open_interest', openInterestValue: 'open_interest_value', bestBid: 'best_bid', bestBidQty: 'best_bid_qty', bestAsk: 'best_ask', bestAskQty: 'best_ask_qty',
};

async function writeHandMade(dir: string): Promise<SimCaptureSummary> {
  return writeSimCapture(syntheticRun(handMadeEvents()), dir);
}

describe('sim capture writer', () => {
  const events = handMadeEvents();

  it('writes one <local_ns> <json> capture per venue that orderflow import reads whole, skipping labels.json', async () => {
    const dir = join(tempDir(), 'out');
    const progress: number[] = [];
    const summary = await writeSimCapture(syntheticRun(events), dir, { onProgress: (n) => progress.push(n) });
    assert.equal(summary.events, events.length);
    assert.deepEqual(progress, [events.length]);
    assert.deepEqual(readdirSync(dir).sort(), ['binance-2026-01-01T00-00-00-000Z.jsonl', 'bybit-2026-01-01T00-00-00-000Z.jsonl', 'labels.json', 'okx-2026-01-01T00-00-00-000Z.jsonl']);
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) {
      for (const line of readFileSync(join(dir, name), 'utf8').trimEnd().split('\n')) assert.match(line, /^\d{19} \{/, `${name}: ${line.slice(0, 60)}`);
    }
    // What no frame of a venue carries is counted, not written in a shape import would refuse.
    assert.deepEqual(summary.unwritten, {
      'binance.lastPrice': 4, 'binance.openInterestValue': 4, 'okx.indexPrice': 4, 'okx.openInterestValue': 4,
    });

    const home = join(tempDir(), 'home');
    const report = importCli(dir, home);
    const labels = report.find((r) => r.path.endsWith(LABELS_FILE));
    assert.equal(labels?.status, 'skipped');
    const imported = report.filter((r) => r.status === 'imported').map((r) => r.path.split('/').at(-1)).sort();
    assert.deepEqual(imported, ['binance-2026-01-01T00-00-00-000Z.jsonl', 'bybit-2026-01-01T00-00-00-000Z.jsonl', 'okx-2026-01-01T00-00-00-000Z.jsonl']);
    assert.equal(report.filter((r) => r.status !== 'imported' && r.status !== 'skipped').length, 0);

    await withStore(home, async (store) => {
      assert.deepEqual(await storedFlow(store, 'trades'), expectedFlow(events, 'trade'));
      assert.deepEqual(await storedFlow(store, 'liquidations'), expectedFlow(events, 'liquidation'));

      // Book: every message with its levels, in order per venue; seq increasing.
      const levels = await rows(store, `SELECT venue::VARCHAR AS venue, epoch_ms(ts) AS ts, epoch_ms(local_ts) AS local, msg, is_snapshot, side::VARCHAR AS side, price, qty, seq FROM book ORDER BY venue, msg, side, price`);
      const messages = new Map<string, { venue: string; ts: number; local: number; snap: boolean; seq: number; bids: [number, number][]; asks: [number, number][] }>();
      for (const r of levels) {
        const key = `${r.venue}:${r.msg}`;
        let m = messages.get(key);
        if (!m) messages.set(key, (m = { venue: r.venue, ts: r.ts, local: r.local, snap: r.is_snapshot as boolean, seq: r.seq as number, bids: [], asks: [] }));
        (r.side === 'buy' ? m.bids : m.asks).push([r.price as number, size(r.qty as number)]);
      }
      const got = [...messages.values()].sort((a, b) => VENUE_ORDER.get(a.venue as Venue)! - VENUE_ORDER.get(b.venue as Venue)! || a.seq - b.seq);
      const sortLv = (ls: readonly (readonly [number, number])[]) => [...ls].map(([p, q]) => [p, size(q)] as [number, number]).sort((a, b) => a[0] - b[0]);
      const want = events
        .filter((e): e is BookEvent => e.type === 'book')
        .sort((a, b) => VENUE_ORDER.get(a.venue)! - VENUE_ORDER.get(b.venue)!)
        .map((e) => ({ venue: e.venue, ts: e.ts, local: e.ts + DEFAULT_LATENCY_MS[e.venue], snap: e.isSnapshot, bids: sortLv(e.bids), asks: sortLv(e.asks) }));
      assert.deepEqual(got.map(({ seq: _, ...m }) => m), want);
      for (const v of SIM_VENUES) {
        const seqs = got.filter((m) => m.venue === v).map((m) => m.seq);
        assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `${v} book seq increases: ${seqs.join(',')}`);
      }

      // Tickers: the frames of one event are merged back by time; each venue keeps what it carries.
      const cols = Object.entries(COLUMN).map(([k, c]) => `${c} AS "${k}"`).join(', ');
      const tick = await rows(store, `SELECT venue::VARCHAR AS venue, symbol, epoch_ms(ts) AS ts, epoch_ms(local_ts) AS local, ${cols} FROM tickers`);
      const merged = new Map<string, Record<string, unknown>>();
      for (const r of tick) {
        const key = `${r.venue}:${r.ts}`;
        const m = merged.get(key) ?? { venue: r.venue, symbol: r.symbol, ts: r.ts, local: r.local };
        for (const k of Object.keys(COLUMN)) if (r[k] !== null && !Number.isNaN(r[k])) m[k] = SIZE_FIELDS.has(k) ? size(r[k] as number) : r[k];
        merged.set(key, m);
      }
      const wantTickers = events
        .filter((e): e is TickerEvent => e.type === 'ticker')
        .map((e) => ({ venue: e.venue, symbol: e.symbol, ts: e.ts, local: e.ts + DEFAULT_LATENCY_MS[e.venue], ...Object.fromEntries(CARRIED[e.venue].map((k) => [k, SIZE_FIELDS.has(k) ? size(e[k] as number) : e[k]])) }));
      const order = (a: Record<string, unknown>, b: Record<string, unknown>) => `${a.venue}${a.ts}`.localeCompare(`${b.venue}${b.ts}`);
      assert.deepEqual([...merged.values()].sort(order), wantTickers.sort(order));
    });
  });

  it('writes book streams each venue\'s live book sync accepts: Binance U/u/pu after the snapshot, OKX seqId chain and checksums, Bybit u + 1', async () => {
    const dir = join(tempDir(), 'out');
    await writeHandMade(dir);
    const frames = (venue: string) => readFileSync(join(dir, readdirSync(dir).find((n) => n.startsWith(`${venue}-`))!), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)));

    const binance = new BinanceBookSync();
    let binanceDiffs = 0;
    for (const f of frames('binance')) {
      if (f.stream === 'btcusdt@depthSnapshot') {
        const r = binance.applySnapshot({ type: 'book', venue: 'binance', symbol: 'BTCUSDT', ts: f.data.T, localTs: NaN, isSnapshot: true, bids: [], asks: [], seq: f.data.lastUpdateId });
        assert.equal(r.resync, undefined);
      } else if (f.stream === 'btcusdt@depth@100ms') {
        const d = f.data;
        const r = binance.diff({ ids: { U: d.U, u: d.u, pu: d.pu }, event: { type: 'book', venue: 'binance', symbol: 'BTCUSDT', ts: d.T, localTs: NaN, isSnapshot: false, bids: [], asks: [], seq: d.u } });
        assert.equal(r.resync, undefined, JSON.stringify(d));
        assert.equal(r.events.length, 1);
        binanceDiffs++;
      }
    }
    assert.equal(binanceDiffs, 12);

    const okx = new OkxBookSync();
    const okxKinds: string[] = [];
    for (const f of frames('okx').filter((x) => x.arg.channel === 'books')) {
      const it = f.data[0];
      okxKinds.push(okx.apply(f.action, it.bids, it.asks, { seqId: it.seqId, prevSeqId: it.prevSeqId, checksum: it.checksum }).kind);
    }
    assert.deepEqual(okxKinds, ['snapshot', ...Array(12).fill('update')]);
    assert.notEqual(frames('okx').find((x) => x.arg.channel === 'books').data[0].checksum, 0);

    const bybit = new BybitBookSync();
    const bybitKinds = frames('bybit').filter((x) => x.topic === 'orderbook.200.BTCUSDT').map((x) => bybit.step(x.type === 'snapshot', x.data.u, x.ts).kind);
    assert.deepEqual(bybitKinds, ['snapshot', ...Array(12).fill('apply')]);
  });

  it('writes byte-identical files for the same run, and labels.json parses back equal with the key order of types.ts', async () => {
    const a = join(tempDir(), 'a');
    const b = join(tempDir(), 'b');
    await writeHandMade(a);
    await writeHandMade(b);
    const names = readdirSync(a).sort();
    assert.deepEqual(readdirSync(b).sort(), names);
    for (const n of names) assert.ok(readFileSync(join(a, n)).equals(readFileSync(join(b, n))), n);
    const text = readFileSync(join(a, LABELS_FILE), 'utf8');
    assert.deepEqual(JSON.parse(text), DEFAULT_LABELS);
    assert.deepEqual(Object.keys(JSON.parse(text)), ['scenario', 'seed', 'symbol', 'labels']);
    assert.deepEqual(Object.keys(JSON.parse(text).labels[0]), ['kind', 'side', 'start_ms', 'end_ms', 'price_low', 'price_high', 'venues']);
    // A different run differs.
    const c = join(tempDir(), 'c');
    await writeSimCapture(syntheticRun(events.filter((e) => e.type !== 'liquidation')), c);
    assert.ok(!readFileSync(join(c, names[0])).equals(readFileSync(join(a, names[0]))));
  });

  it('gzips on request into .jsonl.gz files that import the same rows', async () => {
    const dir = join(tempDir(), 'gz');
    await writeSimCapture(syntheticRun(events), dir, { gzip: true });
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.jsonl.gz')).length, 3);
    const home = join(tempDir(), 'home');
    importCli(dir, home);
    await withStore(home, async (store) => assert.deepEqual(await storedFlow(store, 'trades'), expectedFlow(events, 'trade')));
  });

  it('streams a long run to disk while it is read, reporting progress as it goes', async () => {
    const dir = join(tempDir(), 'out');
    const n = 140_000;
    let onDiskBeforeEnd = 0;
    function* stream(): Generator<MarketEvent> {
      for (let i = 0; i < n; i++) {
        if (i === n - 1) onDiskBeforeEnd = statSync(join(dir, 'binance-2026-01-01T00-00-00-000Z.jsonl')).size;
        yield trade('binance', START_MS + Math.floor(i / 10), 970_000 + (i % 9), 1 + (i % 40), i % 3 ? 'buy' : 'sell');
      }
    }
    const progress: number[] = [];
    const summary = await writeSimCapture(syntheticRun(stream), dir, { onProgress: (k) => progress.push(k) });
    assert.deepEqual(progress, [65_536, 131_072, n]);
    assert.equal(summary.frames, n);
    const size = statSync(join(dir, 'binance-2026-01-01T00-00-00-000Z.jsonl')).size;
    // The writer hands ~1 MiB pieces to the file as events arrive: all but the last piece is there before the run ends.
    assert.ok(onDiskBeforeEnd > size - 2 * (1 << 20) && onDiskBeforeEnd > 0, `${onDiskBeforeEnd} of ${size} bytes on disk before the last event`);
  });

  it('writes a line longer than a whole piece (a 1.5 MiB book snapshot) whole, between lines that fill pieces', async () => {
    const dir = join(tempDir(), 'out');
    const levels = 40_000;
    const bids: BookLevel[] = [];
    const asks: BookLevel[] = [];
    for (let i = 0; i < levels; i++) {
      bids.push([px(970_000 - i), lots('binance', 1 + (i % 50))]);
      asks.push([px(970_001 + i), lots('binance', 1 + (i % 50))]);
    }
    const snapshot: BookEvent = { type: 'book', venue: 'binance', symbol: 'BTCUSDT', ts: START_MS + 1000, localTs: START_MS + 1000, isSnapshot: true, bids, asks, seq: 1 };
    const before = Array.from({ length: 9_000 }, (_, i) => trade('binance', START_MS + Math.floor(i / 10), 970_000 + (i % 9), 1 + (i % 40), 'buy'));
    const after = Array.from({ length: 9_000 }, (_, i) => trade('binance', START_MS + 1000 + Math.floor(i / 10), 970_000 + (i % 9), 1 + (i % 40), 'sell'));
    await writeSimCapture(syntheticRun([...before, snapshot, ...after]), dir);
    const lines = readFileSync(join(dir, 'binance-2026-01-01T00-00-00-000Z.jsonl'), 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, before.length + 1 + after.length);
    const frames = lines.map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)) as { stream: string; data: { bids?: unknown[]; asks?: unknown[] } });
    const big = frames[before.length];
    assert.equal(big.stream, 'btcusdt@depthSnapshot');
    assert.ok(lines[before.length].length > 1 << 20, `snapshot line ${lines[before.length].length} chars`);
    assert.deepEqual([big.data.bids!.length, big.data.asks!.length], [levels, levels]);
    assert.deepEqual(frames.map((f) => f.stream.endsWith('@aggTrade')), [...before.map(() => true), false, ...after.map(() => true)]);
  });

  it('starts a new file per venue at each UTC hour of receive time', async () => {
    const dir = join(tempDir(), 'out');
    const late = START_MS + 3_600_000 - DEFAULT_LATENCY_MS.okx; // received exactly at 01:00
    await writeSimCapture(syntheticRun([trade('okx', START_MS, 970_000, 5, 'buy'), trade('okx', late, 970_001, 5, 'sell')]), dir);
    assert.deepEqual(readdirSync(dir).sort(), ['labels.json', 'okx-2026-01-01T00-00-00-000Z.jsonl', 'okx-2026-01-01T01-00-00-000Z.jsonl']);
  });

  it('refuses a folder with other files, and replaces an earlier run only when asked', async () => {
    const dir = join(tempDir(), 'out');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await assert.rejects(writeHandMade(dir), /not empty \(notes\.txt\)/);
    const again = join(tempDir(), 'again');
    await writeHandMade(again);
    await assert.rejects(writeHandMade(again), /not empty .*replace the earlier run/);
    await writeSimCapture(syntheticRun(events.slice(0, 3)), again, { replace: true });
    assert.deepEqual(readdirSync(again).length, 4);
  });

  it('refuses events an import could not read (no time, time going back, a venue not in the run) and leaves no capture behind', async () => {
    const cases: [MarketEvent[], RegExp][] = [
      [[trade('okx', START_MS, 970_000, 1, 'buy'), trade('okx', NaN, 970_000, 1, 'buy')], /event 2 \(okx BTC-USDT-SWAP trade\): no exchange time/],
      [[trade('bybit', START_MS + 5, 970_000, 1, 'buy'), trade('bybit', START_MS, 970_000, 1, 'buy')], /event 2 \(bybit BTCUSDT trade\): time goes backwards/],
      [[{ ...trade('binance', START_MS, 970_000, 1, 'buy'), venue: 'binance-spot' }], /event 1 \(binance-spot BTCUSDT trade\): binance-spot is not among the run's venues/],
    ];
    for (const [evs, message] of cases) {
      const dir = join(tempDir(), 'out');
      await assert.rejects(writeSimCapture(syntheticRun(evs), dir), message);
      assert.deepEqual(readdirSync(dir), []);
    }
    // A run whose ground truth cannot be had leaves nothing either.
    const dir = join(tempDir(), 'out');
    const run = { ...syntheticRun([trade('okx', START_MS, 970_000, 1, 'buy')]), labels: () => { throw new Error('labels lost'); } };
    await assert.rejects(writeSimCapture(run, dir), /labels lost/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('round-trips random trades and liquidations on all three venues through import (property)', async () => {
    const venue = fc.constantFrom<Venue>(...SIM_VENUES);
    const step = fc.record({
      kind: fc.constantFrom<'trade' | 'liquidation'>('trade', 'liquidation'),
      venue,
      dt: fc.integer({ min: 0, max: 5_000 }),
      ticks: fc.integer({ min: 100_000, max: 2_000_000 }),
      lots: fc.integer({ min: 1, max: 5_000_000 }),
      side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        let t = START_MS;
        const evs: MarketEvent[] = steps.map((s) => {
          t += s.dt;
          return s.kind === 'trade' ? trade(s.venue, t, s.ticks, s.lots, s.side) : liquidation(s.venue, t, s.ticks, s.lots, s.side);
        });
        const root = tempDir();
        const dir = join(root, 'out');
        await writeSimCapture(syntheticRun(evs), dir);
        const store = await Store.open(join(root, 'home'));
        try {
          const opts = { formats: allFormats() };
          const { files } = await importPaths([dir], opts.formats);
          for (const f of files) await importInto(store, f);
          assert.deepEqual(await storedFlow(store, 'trades'), expectedFlow(evs, 'trade'));
          assert.deepEqual(await storedFlow(store, 'liquidations'), expectedFlow(evs, 'liquidation'));
        } finally {
          store.close();
        }
      }),
      { numRuns: 12 },
    );
  });
});
