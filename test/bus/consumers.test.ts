/**
 * The bus's consumers on a real nats-server with JetStream: what a recorder publishes reaches a
 * dashboard's websocket (`serve --bus`) and a paper session's decisions (`paper --bus`), with no
 * connector in either. The paper session still stores its events: `backtest --session` over its
 * store gives its signals.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { busLiveClient, RESUME_MARGIN_MS, resumeFrom, storeHeld } from '../../src/bus/bus-client.ts';
import type { Bus } from '../../src/bus/connection.ts';
import { BusPublisher } from '../../src/bus/publisher.ts';
import { DEFAULT_STREAM } from '../../src/bus/stream.ts';
import type { CaptureRecord, MarketEvent } from '../../src/core/events.ts';
import { Backtest } from '../../src/engine/backtest.ts';
import { parseConfig } from '../../src/engine/config.ts';
import { PaperRun } from '../../src/paper/paper-run.ts';
import { sessionBacktest } from '../../src/paper/session-backtest.ts';
import type { LiveMessage } from '../../src/server/api.ts';
import type { TradesMessage } from '../../src/server/live/store-tail.ts';
import { startServer } from '../../src/server/server.ts';
import { SERVE_ENV_KEYS } from '../../src/sim/serve.ts';
import { Recorder } from '../../src/store/recorder.ts';
import { Store } from '../../src/store/store.ts';
import { tradeResumePoints } from '../../src/store/trade-resume.ts';
import { NATS_SKIP, startNatsBus, type NatsServer } from '../helpers/nats.ts';
import { BIN } from '../helpers/paths.ts';
import { closedAddress, runProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { fixtureEvents, fixtureHome, removeHome, T0 } from '../server/fixture.ts';
import { H, M, STORY_CONFIG, storyEvents, storyStart } from '../paper/story.ts';
import { others, trade } from './events.ts';

/** Publishes `events` as a recorder does, one flush per `stepMs` of exchange time. */
async function publishAsRecorder(pub: BusPublisher, events: readonly MarketEvent[], stepMs: number): Promise<void> {
  let from = 0;
  while (from < events.length) {
    const end = events[from].ts + stepMs;
    let to = from;
    while (to < events.length && events[to].ts < end) to++;
    pub.add(events.slice(from, to));
    await pub.flush();
    from = to;
  }
}

/** Consumers on the stream (a BusFeed creates one per venue and symbol). */
async function consumers(bus: Bus): Promise<number> {
  return (await bus.jsm.streams.info(DEFAULT_STREAM)).state.consumer_count;
}

describe('bus consumers: serve --bus and paper --bus', { skip: NATS_SKIP }, () => {
  let nats: NatsServer;
  let bus: Bus;
  before(async () => {
    ({ nats, bus } = await startNatsBus());
  });
  after(async () => {
    await bus?.nc.close();
    await nats?.stop();
  });

  it('serve --bus and paper --bus stop at start, saying why, on a bus that cannot be reached or has no stream', async () => {
    const home = tempDir('orderflow-bus-cli-');
    (await Store.open(home)).close();
    const closed = await closedAddress();
    const [serve, paper] = await Promise.all([
      runProcess(BIN, ['serve', '--home', home, '--port', '0', '--bus', `nats://${closed}`]),
      runProcess(BIN, ['paper', '--symbol', 'BTC', '--home', home, '--bus', nats.url, '--stream', 'NO_SUCH_STREAM']),
    ]);
    assert.notEqual(serve.code, 0);
    assert.match(serve.stderr, new RegExp(`cannot reach the NATS server at nats://${closed}`));
    assert.notEqual(paper.code, 0);
    assert.match(paper.stderr, /stream NO_SUCH_STREAM does not exist .*start a recorder with --bus first/);
  });

  it('serve --bus: a recorder\'s trades, liquidations and tickers reach a websocket client once each, in time order, without the store', async () => {
    // The store holds ten minutes of history; the live minutes exist only on the bus.
    const home = await fixtureHome(T0 + 10 * 60_000);
    const had = await consumers(bus);
    const server = await startServer({ home, port: 0, pollMs: 50, bus: { bus } });
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?symbol=BTCUSDT`);
    const got: LiveMessage[] = [];
    ws.on('message', (data) => got.push(JSON.parse(String(data)) as LiveMessage));
    const pub = new BusPublisher(bus);
    try {
      await once(ws, 'open');
      await waitFor(() => got.length > 0, 'hello', 5000);
      assert.ok(got[0].type === 'hello' && got[0].source.startsWith(`bus ${nats.url}`), JSON.stringify(got[0]));
      // One consumer per venue's market, created by the hub for this client: then publish.
      await waitFor(async () => (await consumers(bus)) >= had + 3, 'the hub\'s consumers', 10_000, 20);
      const live = fixtureEvents({ fromMs: T0 + 80 * 60_000, toMs: T0 + 82 * 60_000 });
      await publishAsRecorder(pub, live, 10_000);
      const wantTrades = live.filter((e) => e.type === 'trade');
      const trades = () => got.filter((m): m is TradesMessage => m.type === 'trades');
      await waitFor(() => trades().reduce((n, m) => n + m.t.length, 0) >= wantTrades.length, 'the published trades', 10_000, 20);
      await new Promise((r) => setTimeout(r, 200));
      const t = trades().flatMap((m) => m.t);
      assert.equal(t.length, wantTrades.length, 'each trade once');
      for (let i = 1; i < t.length; i++) assert.ok(t[i] >= t[i - 1], `trade ${i} out of time order`);
      assert.deepEqual([...t].sort((a, b) => a - b), wantTrades.map((e) => e.ts).sort((a, b) => a - b));
      assert.deepEqual(new Set(trades().flatMap((m) => m.venue)), new Set(['binance', 'okx', 'bybit']));
      const wantLiqs = live.filter((e) => e.type === 'liquidation');
      assert.ok(wantLiqs.length > 0, 'the story has liquidations in these minutes');
      const liqs = got.flatMap((m) => (m.type === 'liquidations' ? m.side : []));
      assert.deepEqual(liqs, wantLiqs.map((e) => (e.type === 'liquidation' && e.side === 'sell' ? 'long' : 'short')));
      const lastOi = live.filter((e) => e.type === 'ticker' && e.venue === 'binance' && Number.isFinite(e.openInterest)).at(-1);
      assert.ok(lastOi && lastOi.type === 'ticker');
      const state = got.filter((m) => m.type === 'marketState' && m.venue === 'binance' && m.openInterest !== undefined).at(-1);
      assert.ok(state && state.type === 'marketState' && state.openInterest === lastOi.openInterest, 'the last open interest as market state');
      // Nothing of it came from the store: it holds the history only.
      const store = await Store.open(home, { readOnly: true });
      try {
        const [r] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades WHERE ts >= make_timestamp($1::BIGINT)', [BigInt((T0 + 80 * 60_000) * 1000)]);
        assert.equal(Number(r.n), 0);
      } finally {
        store.close();
      }
    } finally {
      ws.close();
      await pub.close();
      await server.close();
      removeHome(home);
    }
  });

  it('a consumer that stores resumes from the bus a minute before its store stopped and drops what the store holds', async () => {
    const home = tempDir('orderflow-bus-resume-');
    const store = await Store.open(home);
    const pub = new BusPublisher(bus);
    // Binance ETHUSDT trades and liquidations 0..119 (exchange times in the past, as live ones are by the time
    // they are published; a market the other tests do not publish, so the stream holds only these).
    const binance = (from: number, to: number): MarketEvent[] => Array.from({ length: to - from }, (_, k) => [trade(from + k, 'ETHUSDT'), { ...others(from + k)[2], symbol: 'ETHUSDT' }]).flat();
    try {
      const fresh = await storeHeld(store, 'binance', ['ETHUSDT'], await tradeResumePoints(store, 'binance', ['ETHUSDT']));
      assert.equal(resumeFrom(fresh), 'new', 'an empty store reads from the next batch');
      // What the consumer stored before it stopped, then what was published while it was down.
      const rec = await Recorder.open(store, { label: 'resume test' });
      rec.handlers('binance').onEvents(binance(0, 60), 0);
      await rec.close();
      await publishAsRecorder(pub, binance(0, 60), 10_000);
      await publishAsRecorder(pub, binance(60, 120), 10_000);
      const held = await storeHeld(store, 'binance', ['ETHUSDT'], await tradeResumePoints(store, 'binance', ['ETHUSDT']));
      assert.equal(resumeFrom(held), trade(59).ts - RESUME_MARGIN_MS);
      const got: CaptureRecord[] = [];
      const client = busLiveClient({ bus, venue: 'binance', symbols: ['ETHUSDT'], handlers: { onEvents: (r) => got.push(...r) }, held });
      await client.start();
      try {
        await waitFor(() => got.length >= 120, 'the events published while down', 10_000, 20);
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        await client.stop();
      }
      const key = (e: CaptureRecord) => `${e.type}:${'id' in e ? e.id : ''}:${'ts' in e ? e.ts : ''}`;
      assert.deepEqual(got.map(key).sort(), binance(60, 120).map(key).sort(), 'what was published while down, once; nothing the store holds');
      assert.equal(client.status()[0].state, 'down');
    } finally {
      await pub.close();
      store.close();
    }
  });

  it('paper --bus: a recorder\'s events reach the session\'s decisions, are stored, and backtest --session over the store gives its signals', async () => {
    const home = tempDir('orderflow-paper-bus-');
    // No venue is reachable: instruments come from the bundled snapshot, and nothing but the bus feeds the session.
    const closed = `http://${await closedAddress()}`;
    const saved = SERVE_ENV_KEYS.map((k) => [k, process.env[k]] as const);
    for (const k of SERVE_ENV_KEYS) process.env[k] = k.endsWith('_WS_URL') ? closed.replace('http', 'ws') : closed;
    const t0 = storyStart();
    const events = storyEvents({ t0, spanMs: H + 30 * M });
    const lastTs = events[events.length - 1].ts;
    const store = await Store.open(home);
    const pub = new BusPublisher(bus);
    const logs: string[] = [];
    const had = await consumers(bus);
    try {
      const run = await PaperRun.start({ store, name: 'bus', symbol: 'BTC', venues: ['binance', 'okx', 'bybit'], config: parseConfig(STORY_CONFIG), quietMs: 1000, settleMs: 300, log: (l) => logs.push(l), bus: { bus } });
      try {
        await waitFor(async () => (await consumers(bus)) >= had + 3, 'the session\'s consumers', 10_000, 20);
        await publishAsRecorder(pub, events.map((e) => ({ ...e, localTs: Date.now() })), 60_000);
        await waitFor(() => (run.status().progress?.now ?? -Infinity) > lastTs, `the session past the last event (${logs.join('; ')})`, 60_000, 50);
        assert.ok([...run.status().streams.values()].every((s) => s.stream.startsWith('bus md.')), 'no connector ran');
      } finally {
        await run.stop();
      }
      const orders = await store.rows<{ reason: string; status: string }>("SELECT reason, status::VARCHAR AS status FROM paper_orders WHERE session = 'bus' ORDER BY id");
      assert.deepEqual(orders.map((o) => [o.reason, o.status]), [['entry', 'filled'], ['target', 'filled']], 'the story\'s round trip');
      const [stored] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades');
      assert.equal(Number(stored.n), events.filter((e) => e.type === 'trade').length, 'every published trade stored once');
      const s = await sessionBacktest(store, 'bus');
      const bt = await new Backtest({ store, config: s.config, pairs: s.pairs, instruments: () => s.instrument, symbol: s.symbol, fromMs: s.fromMs, toMs: s.toMs }).run();
      const signals = await store.rows<{ id: number; ts: number; type: string }>("SELECT id, ts, type::VARCHAR AS type FROM paper_signals WHERE session = 'bus' ORDER BY id");
      assert.ok(signals.length > 0);
      assert.deepEqual(signals, bt.signals.map((x) => ({ id: x.id, ts: x.ts, type: x.type })));
    } finally {
      await pub.close();
      store.close();
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
