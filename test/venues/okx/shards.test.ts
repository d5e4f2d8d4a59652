/**
 * Many OKX symbols over several connections (shards.ts): the grouping keeps OKX's per-connection
 * limit, and a sharded client against the loopback OKX delivers every symbol once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { LiquidationEvent, MarketEvent, TradeEvent } from '../../../src/core/events.ts';
import { toBaseQty } from '../../../src/core/instruments.ts';
import { LIVE_CHANNELS, type LiveChannel } from '../../../src/venues/live/types.ts';
import { startOkxMockServer } from '../../../src/venues/okx/mock-server.ts';
import { createOkxLiveClient, OKX_CHANNELS_PER_CONNECTION, OKX_CONNECT_SPACING_MS, OkxShardedClient, okxShards } from '../../../src/venues/okx/shards.ts';
import { okxTestInstruments, okxVenueListings } from './instruments.ts';

const instruments = okxTestInstruments();
const until = async (cond: () => boolean, what: string, ms = 6000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
/** Subscriptions a group takes: per symbol trades, books, 3 (swap) or 2 (future) tickers; one liquidation-orders per instType. */
const cost = (group: readonly string[], isFuture: (s: string) => boolean) =>
  group.reduce((n, s) => n + (isFuture(s) ? 4 : 5), 0) + new Set(group.map(isFuture)).size;

describe('okx shards: symbols grouped within the per-connection limit', () => {
  it(`100 swaps with every channel: groups of at most ${OKX_CHANNELS_PER_CONNECTION} subscriptions, every symbol once, in order`, () => {
    const symbols = Array.from({ length: 100 }, (_, i) => `S${i}-USDT-SWAP`);
    const groups = okxShards(symbols, new Set(LIVE_CHANNELS), () => false, OKX_CHANNELS_PER_CONNECTION);
    assert.deepEqual(groups.flat(), symbols);
    for (const g of groups) assert.ok(cost(g, () => false) <= OKX_CHANNELS_PER_CONNECTION, `${g.length} symbols`);
    assert.equal(groups.length, 20, '5 symbols (25 subscriptions + liquidation-orders) per connection');
  });

  it('property: any mix of swaps and futures and any limit: every group fits, nothing lost or repeated', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 80 }), fc.integer({ min: 7, max: 60 }), fc.subarray([...LIVE_CHANNELS] as LiveChannel[]), (futures, max, chans) => {
        const symbols = futures.map((f, i) => (f ? `F${i}-USD-250627` : `S${i}-USDT-SWAP`));
        const isFuture = (s: string) => s.startsWith('F');
        const channels = new Set(chans);
        const groups = okxShards(symbols, channels, isFuture, max);
        assert.deepEqual(groups.flat(), symbols);
        for (const g of groups) {
          const n = g.reduce((k, s) => k + (channels.has('trades') ? 1 : 0) + (channels.has('book') ? 1 : 0) + (channels.has('ticker') ? (isFuture(s) ? 2 : 3) : 0), 0)
            + (channels.has('liquidations') ? new Set(g.map(isFuture)).size : 0);
          assert.ok(n <= max && g.length > 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a symbol that alone exceeds the limit is refused, naming it', () => {
    assert.throws(() => okxShards(['BTC-USDT-SWAP'], new Set(LIVE_CHANNELS), () => false, 5), /okx: BTC-USDT-SWAP needs 6 subscriptions, more than the 5 per connection/);
  });
});

describe('okx shards: a sharded client against the loopback OKX', () => {
  it('three symbols at 5 subscriptions per connection: two connections, every trade and liquidation delivered once, every book synced', async () => {
    const server = await startOkxMockServer({ listings: okxVenueListings() });
    const symbols = ['BTC-USDT-SWAP', 'BTC-USD-SWAP', 'WNCG-USDT-SWAP'];
    const events: MarketEvent[] = [];
    const client = createOkxLiveClient({
      symbols, instruments, channels: ['trades', 'book', 'liquidations'], wsUrl: server.wsUrl, restUrl: server.restUrl,
      maxChannelsPerConnection: 5, restSpacingMs: 0, liquidationReplayToleranceMs: Number.POSITIVE_INFINITY, lagWarnMs: Number.MAX_SAFE_INTEGER,
      bookSnapshotWaitMs: 50, handlers: { onEvents: (r) => events.push(...(r as MarketEvent[])) },
    });
    try {
      assert.ok(client instanceof OkxShardedClient);
      assert.equal(client.connections, 2);
      await client.start();
      await until(() => client.status().filter((s) => !s.stream.startsWith('connection:')).every((s) => s.state === 'connected'), 'all streams connected');
      assert.equal(server.stats().connections, 2);
      const ts = 1_700_000_000_000;
      const published: (TradeEvent | LiquidationEvent)[] = [];
      symbols.forEach((symbol, k) => {
        const inst = instruments.get('okx', symbol)!;
        for (let i = 1; i <= 3; i++) published.push({ type: 'trade', venue: 'okx', symbol, ts: ts + i, localTs: NaN, price: 100 + i, qty: toBaseQty(inst, i, 100 + i), side: 'buy', id: String(i) });
        published.push({ type: 'liquidation', venue: 'okx', symbol, ts: ts + 10 + k, localTs: NaN, price: 99, qty: toBaseQty(inst, 2, 99), side: 'sell', id: '' });
      });
      for (const e of published) server.publish(e);
      await until(() => events.filter((e) => e.type === 'trade').length === 9 && events.filter((e) => e.type === 'liquidation').length === 3, 'events');
      await new Promise((r) => setTimeout(r, 100));
      const got = events.filter((e) => e.type !== 'book').map((e) => `${e.type} ${e.symbol} ${e.ts}`).sort();
      assert.deepEqual(got, published.map((e) => `${e.type} ${e.symbol} ${e.ts}`).sort(), 'each once: the two shards\' liquidation-orders keep their own symbols');
      assert.equal(client.status().filter((s) => s.stream.startsWith('books:')).length, 3);
    } finally {
      await client.stop();
      await server.close();
    }
  });

  it('every shard dropped at once (a server restart): the reconnects share one pacing, at most 3 per second, and all recover', async () => {
    const server = await startOkxMockServer({ listings: okxVenueListings() });
    const symbols = ['BTC-USDT-SWAP', 'BTC-USD-SWAP', 'WNCG-USDT-SWAP'];
    const trades: MarketEvent[] = [];
    // Each shard's own backoff would retry within 5..10 ms of the drop: only the shared pacing spaces them.
    const client = createOkxLiveClient({
      symbols, instruments, channels: ['trades'], wsUrl: server.wsUrl, restUrl: server.restUrl, maxChannelsPerConnection: 1,
      backoff: { initialMs: 10, maxMs: 20 }, restSpacingMs: 0, lagWarnMs: Number.MAX_SAFE_INTEGER,
      handlers: { onEvents: (r) => trades.push(...(r as MarketEvent[]).filter((e) => e.type === 'trade')) },
    });
    const connected = () => client.status().filter((s) => s.stream.startsWith('trades:')).every((s) => s.state === 'connected');
    try {
      assert.ok(client instanceof OkxShardedClient);
      assert.equal(client.connections, 3);
      await client.start();
      await until(connected, 'all shards subscribed');
      server.faults.disconnect();
      await until(() => server.stats().connections === 6 && connected() && client.status().filter((s) => s.stream.startsWith('trades:')).every((s) => s.reconnects === 1), 'all shards back', 10_000);
      const at = server.connectionTimes();
      assert.equal(at.length, 6);
      const steps = at.slice(1).map((t, i) => t - at[i]);
      const seen = steps.map((x) => x.toFixed(0)).join(', ');
      // Slots are OKX_CONNECT_SPACING_MS (350) apart on the client; the server sees each request
      // within a connect's jitter of its slot (tens of ms on a loaded machine, so a step may look
      // shorter when the one before was late). Without the shared pacing the three reconnects land
      // within ~20 ms of each other.
      for (const [i, step] of steps.entries()) assert.ok(step >= OKX_CONNECT_SPACING_MS / 2, `connection request ${i + 2} came ${step.toFixed(0)} ms after the one before (${seen})`);
      assert.ok(at[5] - at[3] >= 2 * OKX_CONNECT_SPACING_MS - 100, `the three reconnects span ${(at[5] - at[3]).toFixed(0)} ms (${seen})`);
      const ts = 1_700_000_000_000;
      symbols.forEach((symbol, k) => server.publish({ type: 'trade', venue: 'okx', symbol, ts: ts + k, localTs: NaN, price: 100, qty: toBaseQty(instruments.get('okx', symbol)!, 1, 100), side: 'buy', id: '1' }));
      await until(() => trades.length === 3, 'a trade from every shard after the restart');
      assert.deepEqual(trades.map((e) => e.symbol).sort(), [...symbols].sort());
    } finally {
      await client.stop();
      await server.close();
    }
  });

  it('symbols that fit one connection get a plain OkxLiveClient', () => {
    const client = createOkxLiveClient({ symbols: ['BTC-USDT-SWAP'], instruments, handlers: { onEvents: () => {} } });
    assert.ok(!(client instanceof OkxShardedClient));
  });
});
