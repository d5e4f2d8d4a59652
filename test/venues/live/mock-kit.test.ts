/**
 * The loopback-server kit's one fault API, the same calls against the three venue servers: each
 * fault does the same thing to the wire whatever the venue (only the venue's words differ).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { TradeEvent, Venue } from '../../../src/core/events.ts';
import { startBinanceMockServer } from '../../../src/venues/binance/mock-server.ts';
import { startBybitMockServer } from '../../../src/venues/bybit/mock-server.ts';
import type { MockFaults } from '../../../src/venues/live/mock-kit.ts';
import { startOkxMockServer } from '../../../src/venues/okx/mock-server.ts';
import { okxVenueListings } from '../okx/instruments.ts';
import { waitFor } from '../../helpers/wait.ts';

interface Rig {
  readonly faults: MockFaults;
  readonly wsUrl: string;
  readonly restUrl: string;
  publish(id: number): void;
  close(): Promise<void>;
}

interface Venue_ {
  readonly venue: Venue;
  readonly stream: string;
  readonly wsPath: string;
  readonly subscribe: (reqId: number) => unknown;
  /** The reply to a subscribe is the venue's refusal. */
  readonly refused: (m: Record<string, unknown>) => boolean;
  /** The trade id of a data frame. */
  readonly id: (text: string) => string | undefined;
  readonly restPath: string;
  readonly start: () => Promise<Rig>;
}

const trade = (venue: Venue, symbol: string, id: number): TradeEvent => ({ type: 'trade', venue, symbol, ts: 1_700_000_000_000 + id, localTs: NaN, price: 100 + id, qty: 1, side: 'buy', id: String(id) });

const VENUES: Venue_[] = [
  {
    venue: 'binance',
    stream: 'btcusdt@aggTrade',
    wsPath: '/market/stream',
    subscribe: (id) => ({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade'], id }),
    refused: (m) => m.error !== undefined,
    id: (t) => /"a":(\d+)/.exec(t)?.[1],
    restPath: '/fapi/v1/aggTrades?symbol=BTCUSDT',
    start: async () => {
      const s = await startBinanceMockServer({ symbols: ['BTCUSDT'] });
      return { faults: s.faults, restUrl: s.restUrl, publish: (id) => s.publish(trade('binance', 'BTCUSDT', id)), close: () => s.close(), wsUrl: s.wsUrl };
    },
  },
  {
    venue: 'okx',
    stream: 'trades:BTC-USDT-SWAP',
    wsPath: '/ws/v5/public',
    subscribe: (id) => ({ id: String(id), op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT-SWAP' }] }),
    refused: (m) => m.event === 'error',
    id: (t) => /"tradeId":"(\d+)"/.exec(t)?.[1],
    restPath: '/api/v5/market/trades?instId=BTC-USDT-SWAP',
    start: async () => {
      const s = await startOkxMockServer({ listings: okxVenueListings() });
      return { faults: s.faults, restUrl: s.restUrl, publish: (id) => s.publish(trade('okx', 'BTC-USDT-SWAP', id)), close: () => s.close(), wsUrl: s.wsUrl };
    },
  },
  {
    venue: 'bybit',
    stream: 'publicTrade.BTCUSDT',
    wsPath: '/v5/public/linear',
    subscribe: (id) => ({ req_id: String(id), op: 'subscribe', args: ['publicTrade.BTCUSDT'] }),
    refused: (m) => m.success === false,
    id: (t) => /"i":"([^"]+)"/.exec(t)?.[1],
    restPath: '/v5/market/recent-trade?category=linear&symbol=BTCUSDT',
    start: async () => {
      const s = await startBybitMockServer({ symbols: ['BTCUSDT'] });
      return { faults: s.faults, restUrl: s.restUrl, publish: (id) => s.publish(trade('bybit', 'BTCUSDT', id)), close: () => s.close(), wsUrl: s.wsUrl };
    },
  },
];

const until = (cond: () => boolean, what: string, ms = 3000) => waitFor(cond, what, ms, 5);

async function client(v: Venue_, rig: Rig): Promise<{ ws: WebSocket; texts: string[]; subscribe(): Promise<Record<string, unknown>> }> {
  const ws = new WebSocket(`${rig.wsUrl}${v.wsPath}`);
  const texts: string[] = [];
  ws.on('message', (d) => texts.push(d.toString()));
  await once(ws, 'open');
  let req = 0;
  return {
    ws,
    texts,
    async subscribe() {
      const before = texts.length;
      ws.send(JSON.stringify(v.subscribe(++req)));
      await until(() => texts.length > before, 'the subscribe reply');
      return JSON.parse(texts[before]) as Record<string, unknown>;
    },
  };
}

for (const v of VENUES) {
  describe(`one fault API: ${v.venue}`, () => {
    it('frame faults: duplicate, reorder, sequence gap, truncated, malformed, each on the next frame only', async () => {
      const rig = await v.start();
      const c = await client(v, rig);
      assert.equal((await c.subscribe()).error ?? null, null);
      const start = c.texts.length;
      rig.faults.duplicate({ stream: v.stream });
      rig.publish(1);
      rig.faults.reorder({ stream: v.stream });
      rig.publish(2);
      rig.publish(3);
      rig.faults.sequenceGap({ stream: v.stream });
      rig.publish(4);
      rig.faults.truncated({ stream: v.stream });
      rig.publish(5);
      rig.faults.malformed({ stream: v.stream, mode: 'insert' });
      rig.publish(6);
      rig.faults.malformed({ stream: /nothing-matches/ });
      rig.publish(7);
      await until(() => c.texts.length - start === 8, 'eight frames');
      const got = c.texts.slice(start).map((t) => {
        try {
          JSON.parse(t);
        } catch {
          return 'cut';
        }
        return v.id(t);
      });
      assert.deepEqual(got, ['1', '1', '3', '2', 'cut', '6', '6', '7']);
      const [bad, good] = c.texts.slice(start + 5, start + 7);
      assert.notEqual(bad, good, 'the inserted copy has one field broken');
      c.ws.terminate();
      await rig.close();
    });

    it('checksum mismatch only where book frames carry a checksum', async () => {
      const rig = await v.start();
      if (v.venue === 'okx') assert.doesNotThrow(() => rig.faults.checksumMismatch({ stream: 'books:BTC-USDT-SWAP' }));
      else assert.throws(() => rig.faults.checksumMismatch(), /carry no checksum/);
      await rig.close();
    });

    it('subscription error: the venue refuses `count` subscriptions, then accepts', async () => {
      const rig = await v.start();
      rig.faults.subscriptionError({ stream: v.stream, count: 1 });
      const c = await client(v, rig);
      assert.equal(v.refused(await c.subscribe()), true);
      assert.equal(v.refused(await c.subscribe()), false);
      c.ws.terminate();
      await rig.close();
    });

    it('REST error: the next call to the path fails with the status, the one after is answered', async () => {
      const rig = await v.start();
      rig.publish(1);
      rig.faults.restError({ path: v.restPath.split('?')[0], status: 502 });
      assert.equal((await fetch(`${rig.restUrl}${v.restPath}`)).status, 502);
      assert.equal((await fetch(`${rig.restUrl}${v.restPath}`)).status, 200);
      await rig.close();
    });

    it('slow consumer, stall and disconnect', async () => {
      const rig = await v.start();
      const c = await client(v, rig);
      await c.subscribe();
      const start = c.texts.length;
      const backlog = rig.faults.slowConsumer();
      for (let i = 1; i <= 50; i++) rig.publish(i);
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(c.texts.length, start, 'held back');
      assert.equal(backlog.release(), 50);
      await until(() => c.texts.length - start === 50, 'the burst');
      assert.deepEqual(c.texts.slice(start).map(v.id), Array.from({ length: 50 }, (_, i) => String(i + 1)));
      assert.equal(rig.faults.stall(), 1);
      rig.publish(51);
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(c.texts.length - start, 50, 'silent');
      assert.equal(c.ws.readyState, WebSocket.OPEN);
      const closed = once(c.ws, 'close');
      assert.equal(rig.faults.disconnect(), 1);
      await closed;
      await rig.close();
    });
  });
}
