/**
 * The server's trades in memory (src/server/cache): what it serves is exactly what the store's
 * reader returns for the same query, after appends (in order, late, and at a held row's very
 * time) and deletions too; a market beyond the memory bound is left to the store; and every pane
 * answered from memory equals the answer read from the store (a server whose bound holds nothing).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { TradeColumns } from '../../src/core/columns.ts';
import type { Venue } from '../../src/core/events.ts';
import { MAX_BARS } from '../../src/server/api.ts';
import { TradeCache } from '../../src/server/cache/trade-cache.ts';
import { latestTradeMs } from '../../src/server/query/params.ts';
import { buildServer } from '../../src/server/server.ts';
import { Store } from '../../src/store/store.ts';
import { readTrades, streamTrades, type TradeQuery } from '../../src/store/trade-reader.ts';
import { fixtureEvents, fixtureHome, record, removeHome, T0 } from './fixture.ts';

const M = 60_000;
const ALL: TradeQuery = { venues: ['binance', 'okx', 'bybit'], symbols: ['BTCUSDT', 'BTC-USDT-SWAP'] };
const QUERIES: readonly TradeQuery[] = [
  ALL,
  { venues: ['bybit', 'binance', 'okx'], symbols: ['BTC-USDT-SWAP', 'BTCUSDT'], fromMs: T0 + 7 * M, toMs: T0 + 50 * M },
  { venues: ['okx'], symbols: ['BTC-USDT-SWAP'], fromMs: T0 + 30 * M + 0.5, toMs: T0 + 31 * M + 1000.25 },
  { venues: ['binance'], symbols: ['BTCUSDT'], fromMs: T0 + 90 * M },
  { venues: ['binance', 'bybit'], symbols: ['BTCUSDT'], toMs: T0 + 3 * M },
];

function plain(c: TradeColumns): Record<string, unknown> {
  const n = c.length;
  return { n, ts: [...c.ts.subarray(0, n)], price: [...c.price.subarray(0, n)], qty: [...c.qty.subarray(0, n)], side: [...c.side.subarray(0, n)], venue: [...c.venue.subarray(0, n)].map((v) => c.venues[v]) };
}

async function withStore<T>(home: string, fn: (s: Store) => Promise<T>, readOnly = true): Promise<T> {
  const s = await Store.open(home, { readOnly });
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

async function assertSameAsStore(home: string, cache: TradeCache, what: string): Promise<void> {
  await withStore(home, async (store) => {
    for (const q of QUERIES) {
      const held = await cache.trades(store, q);
      assert.ok(held, `${what}: held`);
      assert.deepEqual(plain(held), plain(await readTrades(store, q)), `${what}: ${JSON.stringify(q)}`);
    }
  });
}

describe('trade cache', () => {
  let home: string;
  before(async () => {
    home = await fixtureHome(T0 + 60 * M);
  });
  after(() => removeHome(home));

  it('serves every query exactly as the store reader, across appends, late rows and deletions', async () => {
    const cache = new TradeCache();
    await assertSameAsStore(home, cache, 'filled');
    const before = await withStore(home, (s) => cache.trades(s, ALL));
    const beforeCopy = plain(before!);

    // Two minutes in order, then Binance rows older than its newest held, one at a held row's very time.
    await withStore(home, (s) => record(s, fixtureEvents({ fromMs: T0 + 60 * M, toMs: T0 + 62 * M })), false);
    await assertSameAsStore(home, cache, 'appended');
    // Rows older than a market's newest held (an import of older history does that; a recorder
    // refuses them), one at a held row's very time: inserted as such an import would.
    const late: [Venue, string, number, number][] = [['binance', 'BTCUSDT', T0 + 61 * M + 500.5, 101.7], ['binance', 'BTCUSDT', T0 + 61 * M, 99.9], ['okx', 'BTC-USDT-SWAP', T0 + 61 * M + 1, 99.8]];
    await withStore(home, async (s) => {
      for (const [venue, symbol, ts, price] of late) {
        await s.run(`INSERT INTO trades SELECT $1::venue_t, $2, make_timestamp($3::BIGINT), NULL, $4, 0.25, 'buy'::side_t, NULL, NULL, max(import_id) FROM trades`, [venue, symbol, BigInt(ts * 1000), price]);
      }
    }, false);
    await assertSameAsStore(home, cache, 'late rows merged');
    // A slice handed out earlier still shows what it showed.
    assert.deepEqual(plain(before!), beforeCopy);

    await withStore(home, (s) => s.run(`DELETE FROM trades WHERE venue = 'okx' AND ts < make_timestamp($1::BIGINT)`, [BigInt((T0 + 20 * M) * 1000)]), false);
    await assertSameAsStore(home, cache, 'after a deletion');
  });

  it('keys the rows it serves: the same key while nothing changed, another once rows are added, and keeps results under it', async () => {
    const cache = new TradeCache();
    const q: TradeQuery = { ...ALL, fromMs: T0, toMs: T0 + 90 * M };
    const first = await withStore(home, (s) => cache.held(s, q));
    const again = await withStore(home, (s) => cache.held(s, q));
    assert.equal(again!.key, first!.key);
    assert.notEqual((await withStore(home, (s) => cache.held(s, { ...q, toMs: T0 + 91 * M })))!.key, first!.key);
    let computed = 0;
    const compute = () => ++computed;
    assert.equal(cache.derived('n', first!.key, compute), 1);
    assert.equal(cache.derived('n', again!.key, compute), 1);
    await withStore(home, (s) => record(s, fixtureEvents({ fromMs: T0 + 62 * M, toMs: T0 + 63 * M })), false);
    const later = await withStore(home, (s) => cache.held(s, q));
    assert.notEqual(later!.key, first!.key);
    assert.equal(cache.derived('n', later!.key, compute), 2);
    assert.ok(later!.trades.length > first!.trades.length);
  });

  it('keeps a result of the whole held history until its rows change, computing it only for a range of half of them or at start', async () => {
    const cache = new TradeCache();
    const q: TradeQuery = { venues: ['okx', 'binance'], symbols: ['BTC-USDT-SWAP', 'BTCUSDT'] };
    const ranges = await withStore(home, async (s) => {
      const all = (await cache.trades(s, q))!;
      return { all, first: all.ts[0], last: all.ts[all.length - 1] };
    });
    const computed: TradeColumns[] = [];
    const compute = (t: TradeColumns) => (computed.push(t), computed.length);
    const whole = (range: Partial<TradeQuery>, when: 'range' | 'view') => withStore(home, (s) => cache.whole('n', s, { ...q, ...range }, when, compute));
    const at = (f: number) => ranges.first + (ranges.last - ranges.first) * f;
    // About 40% of the rows: folding them is cheaper than the whole.
    assert.equal(await whole({ fromMs: at(0.6) }, 'range'), undefined);
    assert.equal(computed.length, 0);
    // About 60%: the whole is computed, over every held row whatever the range.
    const a = await whole({ fromMs: at(0.4) }, 'range');
    assert.equal(a!.value, 1);
    assert.deepEqual(plain(computed[0]), plain(ranges.all));
    // Kept: a small range or the start-up fill takes it as it is, under the same key.
    const b = await whole({ fromMs: at(0.9), toMs: ranges.last }, 'range');
    assert.deepEqual([b!.value, b!.key], [1, a!.key]);
    assert.equal((await whole({}, 'view'))!.value, 1);
    // Another venue order is another merge of the rows: another result.
    assert.equal((await withStore(home, (s) => cache.whole('n', s, { ...q, venues: ['binance', 'okx'] }, 'view', compute)))!.value, 2);
    // Rows appended: computed again, with them.
    await withStore(home, (s) => record(s, fixtureEvents({ fromMs: T0 + 63 * M, toMs: T0 + 64 * M })), false);
    assert.equal(await whole({ fromMs: ranges.last }, 'range'), undefined, 'the new minute is not half of the rows');
    const c = await whole({}, 'view');
    assert.equal(c!.value, 3);
    assert.notEqual(c!.key, a!.key);
    assert.ok(computed[2].length > ranges.all.length);
  });

  it('gives the newest trade time the store gives, after appends too', async () => {
    const cache = new TradeCache();
    const pairs: [Venue, string][] = [['okx', 'BTC-USDT-SWAP'], ['binance', 'BTCUSDT']];
    const q: TradeQuery = { venues: ['okx', 'binance'], symbols: ['BTC-USDT-SWAP', 'BTCUSDT'] };
    const same = () => withStore(home, async (s) => assert.equal(await cache.newest(s, q), await latestTradeMs(s, pairs)));
    await same();
    await withStore(home, (s) => record(s, fixtureEvents({ fromMs: T0 + 65 * M, toMs: T0 + 66 * M + 0.5 })), false);
    await same();
    assert.equal(await withStore(home, (s) => cache.newest(s, { venues: ['bybit'], symbols: ['NOSUCH'] })), undefined);
  });

  it('keeps an answer of the trades table until rows are added or deleted', async () => {
    const cache = new TradeCache();
    let n = 0;
    const answer = () => withStore(home, (s) => cache.perTable('n', s, async () => ++n));
    assert.equal(await answer(), 1);
    assert.equal(await answer(), 1);
    await withStore(home, (s) => record(s, fixtureEvents({ fromMs: T0 + 64 * M, toMs: T0 + 65 * M })), false);
    assert.equal(await answer(), 2);
    assert.equal(await answer(), 2);
    await withStore(home, (s) => s.run(`DELETE FROM trades WHERE ts < make_timestamp($1::BIGINT)`, [BigInt((T0 + M) * 1000)]), false);
    assert.equal(await answer(), 3);
  });

  it('computes a whole result at start only for a history one page may ask for whole', async () => {
    const cache = new TradeCache();
    const q: TradeQuery = { venues: ['binance'], symbols: ['BTCUSDT'] };
    const [trade] = fixtureEvents({ toMs: T0 + 1000 }).filter((e) => e.type === 'trade' && e.venue === 'binance');
    let id = 9_000;
    const at = (ts: number) => ({ ...trade, ts, localTs: ts, id: String(++id) });
    const home = join(mkdtempSync(join(tmpdir(), 'orderflow-whole-')), 'home');
    const length = (t: TradeColumns) => t.length;
    try {
      // MAX_BARS one-minute bars is one page's most: a history one minute shorter is computed at start.
      await withStore(home, (s) => record(s, [at(T0), at(T0 + (MAX_BARS - 1) * M)]), false);
      assert.equal((await withStore(home, (s) => cache.whole('n', s, q, 'view', length)))!.value, 2);
      await withStore(home, (s) => record(s, [at(T0 + MAX_BARS * M)]), false);
      assert.equal(await withStore(home, (s) => cache.whole('n', s, q, 'view', length)), undefined);
      // A request of most of it still computes it.
      assert.equal((await withStore(home, (s) => cache.whole('n', s, { ...q, fromMs: T0 + 1 }, 'range', length)))!.value, 3);
    } finally {
      removeHome(home);
    }
  });

  it('fills every stored market, most recently traded last', async () => {
    const cache = new TradeCache();
    await withStore(home, async (store) => {
      for (const { venue, symbol } of await cache.storedMarkets(store)) await cache.fill(store, venue, symbol);
      const [{ n }] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades');
      assert.ok(cache.bytes >= Number(n) * 25, `${cache.bytes} bytes held for ${n} trades`);
      assert.deepEqual(plain((await cache.trades(store, ALL))!), plain(await readTrades(store, ALL)));
    });
  });

  it('leaves a market larger than the memory bound to the store, and streams it from there', async () => {
    const cache = new TradeCache(10_000);
    await withStore(home, async (store) => {
      assert.equal(await cache.trades(store, ALL), undefined);
      assert.equal(cache.bytes, 0);
      const chunks: TradeColumns[] = [];
      for await (const c of cache.chunks(store, ALL)) chunks.push(c);
      const streamed: TradeColumns[] = [];
      for await (const c of streamTrades(store, ALL)) streamed.push(c);
      assert.deepEqual(chunks.map(plain), streamed.map(plain));
    });
  });

  it('drops the least recently used market to stay within its bound', async () => {
    await withStore(home, async (store) => {
      const one = new TradeCache();
      await one.trades(store, { venues: ['okx'], symbols: ['BTC-USDT-SWAP'] });
      const okxBytes = one.bytes;
      await one.trades(store, { venues: ['binance'], symbols: ['BTCUSDT'] });
      // Room for either market with its growth room (TradeCache holds a market up to 2/3 of the bound), not both.
      const largest = Math.max(one.bytes - okxBytes, okxBytes);
      assert.ok(one.bytes > 1.5 * largest + 100, 'the two markets are of a size');
      const cache = new TradeCache(Math.ceil(1.5 * largest) + 100);
      await cache.trades(store, { venues: ['okx'], symbols: ['BTC-USDT-SWAP'] });
      await cache.trades(store, { venues: ['binance'], symbols: ['BTCUSDT'] });
      assert.ok(cache.bytes <= cache.maxBytes, `${cache.bytes} held, bound ${cache.maxBytes}`);
      assert.deepEqual(plain((await cache.trades(store, { venues: ['okx'], symbols: ['BTC-USDT-SWAP'] }))!), plain(await readTrades(store, { venues: ['okx'], symbols: ['BTC-USDT-SWAP'] })));
    });
  });
});

describe('trade cache under any order of writes', () => {
  it('equals the store reader after random appends, rows older than the newest, equal times and deletions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orderflow-cache-prop-'));
    const store = await Store.open(join(dir, 'home'));
    try {
      const venues: readonly [Venue, string][] = [['binance', 'BTCUSDT'], ['okx', 'BTC-USDT-SWAP'], ['bybit', 'BTCUSDT']];
      const row = fc.record({ market: fc.nat(2), sec: fc.nat(40), us: fc.constantFrom(0, 0, 250, 999_999), price: fc.integer({ min: 900, max: 1100 }), buy: fc.boolean() });
      const step = fc.oneof({ arbitrary: fc.array(row, { minLength: 1, maxLength: 25 }), weight: 5 }, { arbitrary: fc.record({ deleteBefore: fc.nat(40) }), weight: 1 });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), fc.nat(40), fc.nat(40), async (steps, a, b) => {
          await store.run('DELETE FROM trades');
          const cache = new TradeCache();
          for (const s of steps) {
            if ('deleteBefore' in s) {
              await store.run('DELETE FROM trades WHERE ts < make_timestamp($1::BIGINT)', [BigInt(T0 + s.deleteBefore * 1000) * 1000n]);
            } else {
              for (const r of s) {
                const [venue, symbol] = venues[r.market];
                await store.run(`INSERT INTO trades VALUES ($1::venue_t, $2, make_timestamp($3::BIGINT), NULL, $4, 0.5, $5::side_t, NULL, NULL, 1)`, [venue, symbol, BigInt(T0 + r.sec * 1000) * 1000n + BigInt(r.us), r.price / 10, r.buy ? 'buy' : 'sell']);
              }
            }
            const q: TradeQuery = { ...ALL, fromMs: T0 + Math.min(a, b) * 1000, toMs: T0 + Math.max(a, b) * 1000 + 1 };
            for (const query of [ALL, q]) assert.deepEqual(plain((await cache.trades(store, query))!), plain(await readTrades(store, query)));
          }
        }),
        { numRuns: 12 },
      );
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('panes answered from memory', () => {
  let home: string;
  before(async () => {
    home = await fixtureHome(T0 + 60 * M);
  });
  after(() => removeHome(home));

  it('equal the answers read from the store, before and after rows are appended', async () => {
    const server = await buildServer({ home, warm: true });
    await server.warmed;
    const held = server.app;
    const fromStore = (await buildServer({ home, cacheBytes: 0 })).app;
    try {
      const range = (to: number) => `symbol=BTCUSDT&from=${T0}&to=${to}`;
      // A fixed range the appended rows fall in: answers kept for it (sizes' classified prints) must not outlive the rows.
      const fixed = `symbol=BTCUSDT&from=${T0}&to=${T0 + 80 * M}`;
      const urls = (to: number) => [
        `/api/sizes?${fixed}&tf=1m`,
        `/api/prints?${fixed}`,
        `/api/sizes?${fixed}&tf=15m`,
        `/api/book-heatmap?${fixed}&tf=1m`,
        // One market's whole minutes: sliced from the 1m bars held beside its trades.
        `/api/candles?${fixed}&venues=binance&tf=1m`,
        `/api/candles?symbol=BTCUSDT&venues=okx&tf=1m`,
        `/api/candles?${range(to)}&venues=bybit&tf=1m`,
        `/api/candles?${range(to)}&tf=1m`,
        `/api/candles?${range(to)}&tf=5m&footprint=1&levelTicks=2`,
        `/api/candles?symbol=BTCUSDT&venues=okx,binance&tf=1m&footprint=1`,
        `/api/cvd?${range(to)}&tf=15m`,
        `/api/sizes?${range(to)}&tf=15m`,
        `/api/prints?${range(to)}`,
        `/api/agreement?${range(to)}&tf=5m`,
        `/api/events?${range(to)}`,
        `/api/liquidations?${range(to)}&tf=15m`,
        `/api/predicted-liquidations?${range(to)}`,
      ];
      const compare = async (to: number, what: string) => {
        for (const url of urls(to)) {
          const a = await held.inject(url);
          const b = await fromStore.inject(url);
          assert.equal(a.statusCode, 200, `${what} ${url}: ${a.body.slice(0, 200)}`);
          assert.equal(a.body, b.body, `${what} ${url}`);
        }
      };
      await compare(T0 + 60 * M, 'filled');
      assert.ok((await held.inject(`/api/cvd?${range(T0 + 60 * M)}`)).json().t.length > 0);
      await withStore(home, (s) => record(s, fixtureEvents({ fromMs: T0 + 60 * M, toMs: T0 + 75 * M })), false);
      await compare(T0 + 75 * M, 'appended');
      // Rows older than a market's newest held, inside held bars (an import of older history).
      await withStore(home, async (s) => {
        for (const [ts, price, side] of [[T0 + 30 * M + 0.5, 104.1, 'buy'], [T0 + 74 * M + 59_999.999, 95.3, 'sell'], [T0 + 10 * M, 100.05, 'buy']] as const) {
          await s.run(`INSERT INTO trades SELECT 'binance'::venue_t, 'BTCUSDT', make_timestamp($1::BIGINT), NULL, $2, 0.75, $3::side_t, NULL, NULL, max(import_id) FROM trades`, [BigInt(Math.round(ts * 1000)), price, side]);
        }
      }, false);
      await compare(T0 + 75 * M, 'late rows');
      // The new high / low show: the bars were folded again, not kept.
      const bars = (await held.inject(`/api/candles?symbol=BTCUSDT&venues=binance&tf=1m&from=${T0}&to=${T0 + 80 * M}`)).json();
      assert.equal(bars.h[bars.t.indexOf(T0 + 30 * M)], 104.1);
    } finally {
      await held.close();
      await fromStore.close();
    }
  });
});
