/**
 * Instruments from the venues at start (src/venues/live/instrument-source.ts) against the three
 * loopback servers, each serving its own instrument data in the venue's shape: a swap listed
 * "today" gets the venue's contract value, unknown symbols fail with suggestions before any
 * socket, halted symbols show their status, offline falls back to the store then the snapshot,
 * Bybit's list is read page by page, and what was fetched is kept in the store.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { UsageError } from '../../../src/core/errors.ts';
import { saveInstruments } from '../../../src/store/instruments-table.ts';
import { startBinanceMockServer, type BinanceMockServer } from '../../../src/venues/binance/mock-server.ts';
import { startBybitMockServer, type BybitMockServer } from '../../../src/venues/bybit/mock-server.ts';
import { bundledInstruments, loadBundledInstruments } from '../../../src/venues/bundled-instruments.ts';
import { describeInstrumentSource, loadLiveInstruments, type InstrumentSourceOptions } from '../../../src/venues/live/instrument-source.ts';
import { startOkxMockServer, type OkxMockServer } from '../../../src/venues/okx/mock-server.ts';
import { openTempStore } from '../../helpers/store.ts';
import { closedAddress } from '../../helpers/process.ts';

interface Servers {
  binance: BinanceMockServer;
  okx: OkxMockServer;
  bybit: BybitMockServer;
}

async function servers(): Promise<Servers> {
  const s = { binance: await startBinanceMockServer(), okx: await startOkxMockServer(), bybit: await startBybitMockServer() };
  after(async () => {
    await s.binance.close();
    await s.okx.close();
    await s.bybit.close();
  });
  return s;
}

const urls = (s: Servers) => ({ binance: s.binance.restUrl, okx: s.okx.restUrl, bybit: s.bybit.restUrl });

/** A REST base nothing listens on. */
const deadUrl = async () => `http://${await closedAddress()}`;

// A generous timeout: no case here waits one out (a dead base refuses at once), and a loaded
// machine answering the loopback late must not turn "from the venue" into a snapshot fallback.
const load = (o: Partial<InstrumentSourceOptions> & Pick<InstrumentSourceOptions, 'venues' | 'inputs'>) => loadLiveInstruments({ spacingMs: 0, timeoutMs: 20_000, ...o });

async function usageError(p: Promise<unknown>): Promise<UsageError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${(e as Error).stack}`);
    return e;
  }
  assert.fail('expected a UsageError');
}

describe('instruments from the venues', () => {
  it('a swap listed today gets its contract value from the venue, not the bundled snapshot', async () => {
    const s = await servers();
    s.okx.listings.listSwap({ instId: 'NEWC-USDT-SWAP', ctVal: '10', tickSz: '0.001', lotSz: '1' });
    assert.equal(loadBundledInstruments().get('okx', 'NEWC-USDT-SWAP'), undefined, 'the snapshot must not know it');
    const live = await load({ venues: ['okx'], inputs: ['NEWC'], restUrls: urls(s) });
    assert.deepEqual(live.symbols.get('okx'), ['NEWC-USDT-SWAP']);
    const inst = live.registry.get('okx', 'NEWC-USDT-SWAP')!;
    assert.equal(inst.contractValue, 10);
    assert.equal(inst.tickSize, 0.001);
    assert.equal(live.reports[0].origin, 'venue');
    assert.match(describeInstrumentSource(live.reports[0]), /^okx: \d+ instruments from the venue, fetched \d{4}-/);
  });

  it('reads each venue through its REST base and keeps the list in the store with fetch time and source', async () => {
    const s = await servers();
    const store = await openTempStore();
    const before = Date.now();
    const live = await load({ venues: ['binance', 'okx', 'bybit'], inputs: ['BTC'], restUrls: urls(s), store, save: true });
    assert.deepEqual(Object.fromEntries(live.symbols), { binance: ['BTCUSDT'], okx: ['BTC-USDT-SWAP'], bybit: ['BTCUSDT'] });
    assert.deepEqual(live.reports.map((r) => r.origin), ['venue', 'venue', 'venue']);
    const rows = await store.rows<{ venue: string; n: bigint; src: string; fetched: number }>(
      "SELECT venue::VARCHAR AS venue, count(*) AS n, min(source) AS src, min(epoch_ms(fetched_at)) AS fetched FROM instruments GROUP BY venue ORDER BY venue",
    );
    for (const r of rows) {
      assert.equal(r.src, 'venue');
      assert.ok(Number(r.fetched) >= before - 1000 && Number(r.fetched) <= Date.now(), `fetched_at ${r.fetched}`);
      assert.equal(Number(r.n), live.reports.find((x) => x.venue === r.venue)!.count);
    }
    assert.equal(rows.length, 3);
    // Public tiers of the requested symbols: OKX position-tiers (BTC-USDT family), Bybit risk-limit.
    assert.equal(live.registry.get('okx', 'BTC-USDT-SWAP')!.tiers.length, 29);
    assert.equal(live.registry.get('bybit', 'BTCUSDT')!.tiers.length, 3);
    // Binance brackets are signed: the bundled snapshot's are kept.
    assert.deepEqual(live.registry.get('binance', 'BTCUSDT')!.tiers, loadBundledInstruments().get('binance', 'BTCUSDT')!.tiers);
    const [{ status }] = await store.rows<{ status: string }>("SELECT status FROM instruments WHERE venue = 'okx' AND symbol = 'BTC-USDT-SWAP'");
    assert.equal(status, 'live');
  });

  it('the bundled snapshot saved later (import) does not overwrite rows fetched from the venue', async () => {
    const s = await servers();
    const store = await openTempStore();
    s.okx.listings.listSwap({ instId: 'BTC-USDT-SWAP', ctVal: '0.01', tickSz: '0.5' });
    await load({ venues: ['okx'], inputs: ['BTC'], restUrls: urls(s), store, save: true });
    await saveInstruments(store, loadBundledInstruments());
    const [row] = await store.rows<{ tick_size: number; source: string }>("SELECT tick_size, source FROM instruments WHERE venue = 'okx' AND symbol = 'BTC-USDT-SWAP'");
    assert.deepEqual(row, { tick_size: 0.5, source: 'venue' });
  });

  it('a symbol the venue does not list fails before any socket, naming the venue and the closest listed symbols', async () => {
    const s = await servers();
    s.okx.listings.listSwap({ instId: 'SOL-USDT-SWAP', ctVal: '1', tickSz: '0.01' });
    const e = await usageError(load({ venues: ['binance', 'okx'], inputs: ['BTCUSTD', 'SOLUSTD'], restUrls: urls(s) }));
    assert.match(e.message, /binance does not list "BTCUSTDUSDT" \(from "BTCUSTD"\) according to its instrument list; closest: BTCUSDT\n/);
    assert.match(e.message, /okx does not list "SOLUSTD-USDT-SWAP" \(from "SOLUSTD"\) according to its instrument list; closest: SOL-USDT-SWAP[,\n]/);
    assert.match(e.message, /okx does not list "BTCUSTD-USDT-SWAP" \(from "BTCUSTD"\) according to its instrument list; closest: BTC-USDT-SWAP\n/);
    assert.equal(s.okx.stats().connections, 0);
    const spot = await usageError(load({ venues: ['okx'], inputs: ['BTC-USDT'], restUrls: urls(s) }));
    assert.match(spot.message, /okx: "BTC-USDT" is an OKX spot pair; live commands record OKX swaps \(the swap is BTC-USDT-SWAP\)/);
    assert.equal(s.binance.stats().connectionsOpened, 0);
  });

  it('a halted or delisting symbol is resolved with the venue status, not refused', async () => {
    const s = await servers();
    s.okx.listings.setState('ETH-USDT-SWAP', 'suspend');
    s.binance.listings.setStatus('ETHUSDT', 'SETTLING');
    // Bybit lists only Trading symbols by default: a closed one is asked for by name.
    s.bybit.listings.setStatus('ETHUSDT', 'Closed');
    const live = await load({ venues: ['binance', 'okx', 'bybit'], inputs: ['ETH', 'BTC'], restUrls: urls(s) });
    const status = live.markets.map((m) => `${m.venue} ${m.symbol} ${m.status} ${m.trading}`);
    assert.deepEqual(status.sort(), [
      'binance BTCUSDT TRADING true', 'binance ETHUSDT SETTLING false', 'bybit BTCUSDT Trading true', 'bybit ETHUSDT Closed false',
      'okx BTC-USDT-SWAP live true', 'okx ETH-USDT-SWAP suspend false',
    ]);
    assert.equal(live.registry.get('okx', 'ETH-USDT-SWAP')!.contractValue, 0.1, 'a halted swap still parses with its contract value');
  });

  it('a row of a shape the parser does not know costs that symbol only, and is named when asked for', async () => {
    const s = await servers();
    s.binance.listings.listPerpetual({ symbol: 'TSLAUSDT', tickSize: '0.01', stepSize: '0.01', contractType: 'TRADIFI_PERPETUAL' });
    const live = await load({ venues: ['binance'], inputs: ['BTC'], restUrls: urls(s) });
    assert.equal(live.reports[0].origin, 'venue');
    assert.match(live.reports[0].note ?? '', /1 row\(s\) not understood and skipped \(first: TSLAUSDT: .*contractType/);
    const e = await usageError(load({ venues: ['binance'], inputs: ['TSLAUSDT'], restUrls: urls(s) }));
    assert.match(e.message, /binance lists "TSLAUSDT" but its instrument row could not be read \(.*unknown contractType/);
  });

  it('offline: the list stored last time is used, then the bundled snapshot, and the report says which and why', async () => {
    const s = await servers();
    const store = await openTempStore();
    s.okx.listings.listSwap({ instId: 'NEWC-USDT-SWAP', ctVal: '10', tickSz: '0.001' });
    // A swap delisted since an earlier fetch is not offered offline.
    s.okx.listings.listSwap({ instId: 'GONE-USDT-SWAP', ctVal: '1', tickSz: '0.01' });
    await load({ venues: ['okx'], inputs: ['GONE'], restUrls: urls(s), store, save: true });
    s.okx.listings.delist('GONE-USDT-SWAP');
    const first = await load({ venues: ['okx'], inputs: ['NEWC'], restUrls: urls(s), store, save: true });
    const dead = await deadUrl();
    await usageError(load({ venues: ['okx'], inputs: ['GONE-USDT-SWAP'], restUrls: { okx: dead }, store }));
    const offline = await load({ venues: ['okx'], inputs: ['NEWC'], restUrls: { okx: dead }, store });
    const r = offline.reports[0];
    assert.equal(r.origin, 'store');
    assert.equal(r.fetchedAt, first.reports[0].fetchedAt);
    assert.equal(offline.registry.get('okx', 'NEWC-USDT-SWAP')!.contractValue, 10);
    assert.match(describeInstrumentSource(r), /^okx: \d+ instruments from the store \(last fetched from the venue\), fetched .*; the venue was unreachable: GET \/api\/v5\/public\/instruments\?instType=SWAP: ECONNREFUSED/);

    const empty = await openTempStore();
    const snap = await load({ venues: ['okx'], inputs: ['BTC'], restUrls: { okx: dead }, store: empty });
    assert.equal(snap.reports[0].origin, 'snapshot');
    assert.equal(snap.reports[0].count, bundledInstruments().filter((i) => i.venue === 'okx').length);
    assert.match(describeInstrumentSource(snap.reports[0]), /from the bundled snapshot \(offline fallback/);
    const e = await usageError(load({ venues: ['okx'], inputs: ['NEWC'], restUrls: { okx: dead }, store: empty }));
    assert.match(e.message, /okx does not list "NEWC-USDT-SWAP" \(from "NEWC"\) according to the bundled snapshot \(venue unreachable: GET \/api\/v5\/public\/instruments\?instType=SWAP: ECONNREFUSED; nothing stored\); no similar symbol$/);
  });

  it('a venue answering HTTP 503 falls back to the snapshot and names the error', async () => {
    const s = await servers();
    s.bybit.faults.restError({ path: '/v5/market/instruments-info', count: 5 });
    const live = await load({ venues: ['bybit'], inputs: ['BTC'], restUrls: urls(s) });
    assert.equal(live.reports[0].origin, 'snapshot');
    assert.match(live.reports[0].reason ?? '', /GET \/v5\/market\/instruments-info\?category=linear&limit=1000: HTTP 503/);
    assert.equal(live.registry.get('bybit', 'BTCUSDT')!.tickSize, loadBundledInstruments().get('bybit', 'BTCUSDT')!.tickSize);
  });

  it('Bybit: every page of instruments-info is read when the server pages by a small limit', async () => {
    const s = await servers();
    s.bybit.listings.pageLimit = 2;
    s.bybit.listings.listLinear({ symbol: 'NEWCUSDT', tickSize: '0.0001', qtyStep: '1' });
    const trading = s.bybit.listings.symbols().length;
    const before = s.bybit.stats.restRequests;
    const live = await load({ venues: ['bybit'], inputs: ['NEWCUSDT'], restUrls: urls(s) });
    assert.equal(live.reports[0].count, trading);
    assert.ok(trading > 4, `several pages (${trading} symbols)`);
    // ceil(trading / 2) list pages + one risk-limit request.
    assert.equal(s.bybit.stats.restRequests - before, Math.ceil(trading / 2) + 1);
    assert.equal(live.registry.get('bybit', 'NEWCUSDT')!.tickSize, 0.0001);
  });
});
