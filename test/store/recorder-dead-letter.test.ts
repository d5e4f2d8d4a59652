/**
 * One bad row never stops recording: rows refused by the checks or by DuckDB itself go to the
 * dead-letter file with their frame and reason while every other row is stored exactly once; a
 * store that fails for a while loses and doubles nothing; a stalled store cannot grow memory past
 * the byte bound, and what the bound dropped is a gap row with its exact range.
 *
 * Faults are DuckDB's own where DuckDB can produce them (a unique index on trade_id refuses a
 * duplicate id: "Duplicate key ... violates unique constraint"); a full disk and a stall are
 * injected at the store's `run` (COMMIT throws DuckDB's I/O error text; BEGIN waits).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import type { MarketEvent } from '../../src/core/events.ts';
import { Recorder, type RecorderOptions } from '../../src/store/recorder.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/store.ts';

const T = Date.UTC(2026, 7, 9, 21, 27);
const SYMBOL = 'BTC-USDT-SWAP';

function trade(i: number, id = String(100_000 + i), symbol = SYMBOL): MarketEvent {
  return { type: 'trade', venue: 'okx', symbol, ts: T + i, localTs: T + i + 3, price: 65_000 + (i % 50), qty: 0.01, side: i % 2 ? 'buy' : 'sell', id };
}

/** The OKX `trades` push a trade came in (what onRawFrame sees). */
function frameOf(t: MarketEvent & { type: 'trade' }): string {
  return JSON.stringify({ arg: { channel: 'trades', instId: t.symbol }, data: [{ instId: t.symbol, tradeId: t.id, px: String(t.price), sz: '1', side: t.side, ts: String(t.ts) }] });
}

/** Deliver trades the way a connector does: each frame to onRawFrame, then its rows to onEvents. */
function deliver(rec: Recorder, trades: readonly MarketEvent[]): void {
  const h = rec.handlers('okx');
  for (const t of trades) {
    h.onRawFrame!(frameOf(t as MarketEvent & { type: 'trade' }), BigInt(t.localTs) * 1_000_000n);
    h.onEvents([t], t.localTs);
  }
}

interface Faults {
  /** COMMITs still to fail with a full-disk error. */
  failCommits: number;
  /** Successful COMMITs (transactions) so far. */
  commits: number;
  /** While set, BEGIN waits for it (a stalled store). */
  gate: Promise<void> | undefined;
}

function injectFaults(store: Store): Faults {
  const run = store.run.bind(store);
  const f: Faults = { failCommits: 0, commits: 0, gate: undefined };
  store.run = async (sql, values) => {
    if (sql === 'BEGIN TRANSACTION' && f.gate) await f.gate;
    if (sql === 'COMMIT') {
      if (f.failCommits > 0) {
        f.failCommits--;
        throw new Error('IO Error: Could not write all bytes to file "orderflow.duckdb.wal": No space left on device');
      }
      await run(sql, values);
      f.commits++;
      return;
    }
    return run(sql, values);
  };
  return f;
}

/** A store closed when the test ends, passed or failed (an open DuckDB keeps the process alive). */
async function openStore(): Promise<{ store: Store; home: string }> {
  const home = join(tempDir(), 'home');
  const store = await Store.open(home);
  after(() => store.close());
  return { store, home };
}

/** A recorder stopped when the test ends, passed or failed (its flush timer keeps the process alive). */
async function openRecorder(store: Store, o: RecorderOptions): Promise<Recorder> {
  const rec = await Recorder.open(store, o);
  after(() => rec.close().catch(() => {}));
  return rec;
}

/** DuckDB's own refusal: trade ids become unique, and `id` is already stored. */
async function refuseId(store: Store, id: number): Promise<void> {
  await store.run('CREATE UNIQUE INDEX IF NOT EXISTS trades_unique_id ON trades(trade_id)');
  await store.run("INSERT INTO trades VALUES ('okx', 'SEED', make_timestamp(0), NULL, 1, 1, 'buy', $1, NULL, 0)", [id]);
}

async function storedIds(store: Store, symbol = SYMBOL): Promise<string[]> {
  const rows = await store.rows<{ id: bigint }>('SELECT trade_id AS id FROM trades WHERE symbol = $1 ORDER BY ts', [symbol]);
  return rows.map((r) => String(r.id));
}

interface Letter {
  venue: string;
  symbol: string;
  type: string;
  ts: number;
  time: string;
  stage: string;
  reason: string;
  frame?: string;
  event: { id: string };
}

function deadLetters(home: string): Letter[] {
  const dir = join(home, 'dead-letter');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Letter));
}

describe('recorder: bad rows and a failing store', () => {
  it('a trade id the schema cannot hold goes to the dead-letter file with its frame; the thousands around it are stored once', async () => {
    const { store, home } = await openStore();
    const faults = injectFaults(store);
    const rec = await openRecorder(store, { label: 'record okx', flushMs: 1000 });
    const input = Array.from({ length: 5000 }, (_, i) => trade(i, i === 2718 ? 'O-2718' : undefined));
    deliver(rec, input);
    await rec.flush();
    assert.equal(faults.commits, 1, 'a row refused by the checks costs no extra transaction');
    const good = input.filter((_, i) => i !== 2718).map((t) => (t as { id: string }).id);
    assert.deepEqual(await storedIds(store), good);
    const [dl, ...more] = deadLetters(home);
    assert.equal(more.length, 0);
    assert.equal(dl.stage, 'check');
    assert.match(dl.reason, /^id: trade id "O-2718" is neither an integer/);
    assert.deepEqual([dl.venue, dl.symbol, dl.type, dl.ts, dl.time], ['okx', SYMBOL, 'trade', T + 2718, new Date(T + 2718).toISOString()]);
    assert.equal(dl.event.id, 'O-2718');
    assert.equal(JSON.parse(dl.frame!).data[0].tradeId, 'O-2718', 'the raw frame the row came in');
    assert.deepEqual(rec.deadLetterFiles(), [join(home, 'dead-letter', `${new Date().toISOString().slice(0, 10)}.jsonl`)]);
    // Later flushes are not affected.
    deliver(rec, [trade(6000), trade(6001)]);
    await rec.flush();
    assert.equal((await storedIds(store)).length, 4999 + 2);
    assert.equal(rec.stats().deadLettered, 1);
    await rec.close();
  });

  it('a row DuckDB itself refuses is found by bisecting: O(log N) extra commits, every other row committed', async () => {
    const { store, home } = await openStore();
    await refuseId(store, 777_777);
    const faults = injectFaults(store);
    const rec = await openRecorder(store, { label: 'record okx', flushMs: 1000 });
    const N = 4096;
    const bad = 3001;
    const input = Array.from({ length: N }, (_, i) => trade(i, i === bad ? '777777' : undefined));
    deliver(rec, input);
    await rec.flush();
    const ids = await storedIds(store);
    assert.equal(ids.length, N - 1);
    assert.equal(new Set(ids).size, N - 1, 'no row stored twice');
    assert.ok(!ids.includes('777777'));
    // log2(4096) = 12 levels, at most one failed commit, one empty probe and one good half each,
    // plus the row alone twice with its probes.
    assert.ok(faults.commits <= 3 * Math.log2(N) + 4, `${faults.commits} commits`);
    const [dl, ...more] = deadLetters(home);
    assert.equal(more.length, 0);
    assert.equal(dl.stage, 'store');
    assert.match(dl.reason, /Duplicate key "trade_id: 777777" violates unique constraint/);
    assert.equal(dl.event.id, '777777');
    assert.ok(dl.frame!.includes('"tradeId":"777777"'));
    deliver(rec, [trade(N + 1)]);
    await rec.flush();
    assert.equal((await storedIds(store)).length, N);
    await rec.close();
  });

  it('several bad rows, refused by the checks and by the store, in one batch', async () => {
    const { store, home } = await openStore();
    await refuseId(store, 555);
    const rec = await openRecorder(store, { label: 'record okx', flushMs: 1000 });
    const checkBad = new Set([0, 1500, 2999]);
    const storeBad = new Set([7, 8, 1024, 2000]);
    const input = Array.from({ length: 3000 }, (_, i) => trade(i, checkBad.has(i) ? `x${i}` : storeBad.has(i) ? '555' : undefined));
    deliver(rec, input);
    await rec.flush();
    const ids = await storedIds(store);
    assert.deepEqual(ids, input.filter((_, i) => !checkBad.has(i) && !storeBad.has(i)).map((t) => (t as { id: string }).id));
    const letters = deadLetters(home);
    assert.deepEqual(letters.filter((l) => l.stage === 'check').map((l) => l.ts - T).sort((a, b) => a - b), [...checkBad]);
    assert.deepEqual(letters.filter((l) => l.stage === 'store').map((l) => l.ts - T).sort((a, b) => a - b), [...storeBad]);
    assert.equal(rec.stats().deadLettered, 7);
    await rec.close();
  });

  it('a store that fails for a while (disk full), then recovers: nothing lost, nothing doubled, nothing blamed', async () => {
    const { store, home } = await openStore();
    const faults = injectFaults(store);
    const errors: string[] = [];
    const rec = await openRecorder(store, { label: 'record okx', flushMs: 1000, onError: (e) => errors.push(e.message) });
    const input = Array.from({ length: 3000 }, (_, i) => trade(i));
    deliver(rec, input.slice(0, 2000));
    // First flush: the batch and the empty probe both fail: the store is down, no row is blamed.
    faults.failCommits = 2;
    await assert.rejects(rec.flush(), /No space left on device/);
    assert.equal(rec.stats().pending, 2000);
    assert.equal(await storedIds(store).then((x) => x.length), 0);
    // More rows arrive; the next flush fails once more and recovers mid-way: the batch is
    // committed in pieces.
    deliver(rec, input.slice(2000));
    faults.failCommits = 1;
    await rec.flush();
    deliver(rec, [trade(3000)]);
    await rec.flush();
    const ids = await storedIds(store);
    assert.deepEqual(ids, [...input, trade(3000)].map((t) => (t as { id: string }).id));
    assert.deepEqual(deadLetters(home), []);
    assert.equal(rec.stats().pending, 0);
    assert.deepEqual(errors, ['IO Error: Could not write all bytes to file "orderflow.duckdb.wal": No space left on device']);
    const [led] = await store.rows<{ rows: bigint }>("SELECT rows FROM imports WHERE format = 'record'");
    assert.equal(Number(led.rows), 3001, 'the ledger counts what was committed, once');
    await rec.close();
  });

  it('a stalled store: memory held to the byte bound, the oldest dropped, a store_backpressure gap row with the exact range', async () => {
    const { store } = await openStore();
    const faults = injectFaults(store);
    const bound = 1 << 20;
    const rec = await openRecorder(store, { label: 'record okx', flushMs: 1000, maxPendingBytes: bound });
    let release!: () => void;
    faults.gate = new Promise<void>((r) => (release = r));
    const input = Array.from({ length: 20_000 }, (_, i) => trade(i));
    deliver(rec, input.slice(0, 500));
    const stalled = rec.flush(); // takes the first 500 and waits at BEGIN
    let peak = 0;
    for (let i = 500; i < input.length; i += 10) {
      deliver(rec, input.slice(i, i + 10));
      peak = Math.max(peak, rec.stats().pendingBytes);
    }
    assert.ok(peak <= bound, `pending ${peak} bytes > bound ${bound}`);
    const dropped = rec.stats().dropped;
    assert.ok(dropped > 10_000, `${dropped} dropped`);
    faults.gate = undefined;
    release();
    await stalled;
    await rec.flush();
    const ids = new Set(await storedIds(store));
    const lost = input.filter((t) => !ids.has((t as { id: string }).id));
    assert.equal(lost.length, dropped);
    assert.equal(ids.size + dropped, input.length);
    // The in-flight batch was committed; what was dropped is the oldest of what waited behind it.
    assert.equal(lost[0].ts, T + 500);
    assert.equal(lost[lost.length - 1].ts, T + 500 + dropped - 1);
    const gaps = await store.rows<{ type: string; lo: number; hi: number; reason: string }>('SELECT type, epoch_ms(from_ts) AS lo, epoch_ms(to_ts) AS hi, reason FROM gaps ORDER BY from_ts');
    assert.ok(gaps.length >= 1);
    for (const g of gaps) {
      assert.equal(g.type, 'store_backpressure');
      assert.match(g.reason, /^store-backpressure: \d+ trade events dropped/);
    }
    assert.equal(Number(gaps[0].lo), lost[0].ts);
    assert.equal(Number(gaps[gaps.length - 1].hi), lost[lost.length - 1].ts);
    assert.equal(gaps.reduce((n, g) => n + Number(/: (\d+) trade/.exec(g.reason)![1]), 0), dropped);
    await rec.close();
  });

  it('property: for random batches with random bad rows, stored and dead-lettered are the input, disjoint, no duplicates', async () => {
    const { store, home } = await openStore();
    await refuseId(store, 999);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 400 }).chain((n) => fc.tuple(fc.constant(n), fc.uniqueArray(fc.tuple(fc.nat(n - 1), fc.constantFrom('check', 'store')), { maxLength: 8, selector: ([i]) => i }))),
        async ([n, poisoned]) => {
          const symbol = `P${run}-USDT-SWAP`;
          // Ids unique across runs: the unique index spans the table.
          const base = 1_000_000 + 1000 * run++;
          const kind = new Map(poisoned);
          const input = Array.from({ length: n }, (_, i) => trade(i, kind.get(i) === 'check' ? `bad-${i}` : kind.get(i) === 'store' ? '999' : String(base + i), symbol));
          const rec = await openRecorder(store, { label: 'record okx', flushMs: 1000 });
          // Arrives in a few deliveries and flushes, like live data.
          for (let i = 0; i < n; i += 97) {
            deliver(rec, input.slice(i, i + 97));
            if (i % 2 === 0) await rec.flush();
          }
          await rec.close();
          const stored = (await storedIds(store, symbol)).map((id) => `${id}`);
          const letters = deadLetters(home).filter((l) => l.symbol === symbol);
          const storedKeys = (await store.rows<{ ts: number }>('SELECT epoch_ms(ts) AS ts FROM trades WHERE symbol = $1', [symbol])).map((r) => Number(r.ts) - T);
          const letterKeys = letters.map((l) => l.ts - T);
          assert.equal(new Set(storedKeys).size, storedKeys.length, 'no row stored twice');
          assert.equal(new Set(letterKeys).size, letterKeys.length, 'no row dead-lettered twice');
          assert.ok(storedKeys.every((k) => !letterKeys.includes(k)), 'stored and dead-lettered are disjoint');
          assert.deepEqual([...storedKeys, ...letterKeys].sort((a, b) => a - b), input.map((_, i) => i));
          assert.deepEqual(letterKeys.sort((a, b) => a - b), [...kind.keys()].sort((a, b) => a - b), 'exactly the poisoned rows are dead-lettered');
          assert.equal(stored.length, n - kind.size);
        },
      ),
      { numRuns: 25 },
    );
  });
});
