/**
 * The method end to end, as a user runs it: a Binance USD-M WebSocket capture (aggTrade and
 * forceOrder frames, written by the venue encoders in the wire's own shapes) holding a long
 * liquidation cascade and, 100 minutes later, a revisit of its zone, imported with `orderflow
 * import`; then `orderflow analyze` must report the cluster and the absorption with its kind, and
 * `orderflow absorption` must find the same event from zones whose rule comes from the command
 * line.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LiquidationEvent, TradeEvent } from '../../src/core/events.ts';
import type { AbsorptionEvent } from '../../src/features/absorption.ts';
import type { LiquidationCluster } from '../../src/features/liquidations.ts';
import { combinedFrame, encodeAggTrade, encodeForceOrder } from '../../src/venues/binance/encode.ts';
import { BIN as BINNER, cascade } from '../features/cascades.ts';
import { BIN } from '../helpers/paths.ts';
import { tempDir } from '../helpers/store.ts';
import { runProcess } from '../helpers/process.ts';

const D = Date.UTC(2026, 2, 2);
const M = 60_000;
/** The cascade's top bin: the one of 60,000 (60,023.99 in 10-bp log bins). */
const TOP = BINNER.index(60_000);

async function run(args: string[]) {
  const r = await runProcess(BIN, args, { ...process.env, CI: 'true' });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

const tick = (p: number) => Math.round(p * 10) / 10;
const lot = (q: number) => Math.round(q * 1000) / 1000;

/**
 * 0:00-3:00 two-sided flow, one print a second of 0.01-0.05 BTC. 0:20-0:23 a long cascade: 71
 * forced sells walking ten 10-bp bins down from 60,024 to 59,486, each with the aggressive sell
 * that filled it. Price then recovers to 60,300. 2:00 price comes back to 59,700, inside the
 * zone, and for 3 minutes sells of 0.1 BTC hit it twice a second (12 BTC a minute against about
 * 0.5 BTC of normal selling), no liquidation prints, price holds; at 2:04 it leaves upward.
 */
function capture(): string {
  const trades: TradeEvent[] = [];
  const liqs: LiquidationEvent[] = [];
  const trade = (ts: number, price: number, qty: number, side: 'buy' | 'sell') =>
    trades.push({ type: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts, localTs: NaN, price: tick(price), qty: lot(qty), side, id: '' });
  const cascadeRows = cascade({ t0: D + 20 * M, durationMs: 3 * M, fromIndex: TOP, bins: 10, n: 71, side: -1, qty: 0.2 });
  for (let t = D; t < D + 3 * 60 * M; t += 1000) {
    const k = (t - D) / 1000;
    const size = 0.01 + (k % 5) * 0.01;
    const side = k % 2 === 0 ? 'buy' : 'sell';
    if (t < D + 20 * M) trade(t, 60_050 + (k % 7), size, side);
    else if (t < D + 23 * M) continue; // the cascade's own prints below
    else if (t < D + 30 * M) trade(t, 59_500 + ((t - D - 23 * M) / (7 * M)) * 800, size, side);
    else if (t < D + 120 * M) trade(t, 60_300 + (k % 7), size, side);
    else if (t < D + 124 * M) {
      // The revisit: straight to 59,700 and held there under heavy selling.
      trade(t, 59_700, 0.1, 'sell');
      trade(t + 500, 59_700, 0.1, 'sell');
      if (k % 10 === 0) trade(t + 700, 59_700, 0.02, 'buy');
    } else trade(t, 60_200 + (k % 7), size, side);
  }
  for (const [ts, price, qty] of cascadeRows) {
    liqs.push({ type: 'liquidation', venue: 'binance', symbol: 'BTCUSDT', ts, localTs: NaN, price: tick(price), qty: lot(qty), side: 'sell', id: '' });
    trade(ts, price, qty, 'sell');
  }
  trades.sort((a, b) => a.ts - b.ts);
  const frames: [number, string][] = [
    ...trades.map((ev, i): [number, string] => [ev.ts, combinedFrame('btcusdt@aggTrade', encodeAggTrade(ev, { a: 1_000_000 + i, f: 5_000_000 + i, l: 5_000_000 + i }))]),
    ...liqs.map((ev): [number, string] => [ev.ts, combinedFrame('btcusdt@forceOrder', encodeForceOrder(ev))]),
  ];
  frames.sort((a, b) => a[0] - b[0]);
  return `${frames.map(([, f]) => f).join('\n')}\n`;
}

// Both cases only read the store imported once: side by side.
describe('a liquidation cascade and a later revisit of its zone', { concurrency: true }, () => {
  const dir = tempDir();
  const home = join(dir, 'home');
  const file = join(dir, 'binance-um-ws-BTCUSDT-2026-03-02.jsonl');
  writeFileSync(file, capture());
  let importing: ReturnType<typeof run> | undefined;
  const imported = () => (importing ??= run(['import', file, '--home', home]));

  it('analyze reports the cluster and the absorption with its kind', async () => {
    const imp = await imported();
    assert.equal(imp.code, 0, imp.err);
    const out = join(dir, 'analysis');
    const r = await run(['analyze', '--symbol', 'BTCUSDT', '--venues', 'binance', '--out', out, '--home', home]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^liquidations +1 +clusters: longs 1, shorts 0 /m);
    assert.match(r.out, /^absorption +1 +cascade-stop 0, revisit 1; buyers absorb 1, sellers absorb 0 /m);
    const clusters = JSON.parse(readFileSync(join(out, 'liquidation_clusters.json'), 'utf8')) as LiquidationCluster[];
    assert.deepEqual(
      clusters.map((c) => [c.side, c.low_index - TOP, c.high_index - TOP, c.count, c.revisited]),
      [['long', -9, 0, 71, true]],
    );
    const [ev, more] = JSON.parse(readFileSync(join(out, 'absorption.json'), 'utf8')) as AbsorptionEvent[];
    assert.equal(more, undefined, 'one event');
    assert.equal(ev.kind, 'revisit');
    assert.equal(ev.direction, 'buyers_absorb');
    // The zone is the cluster's bins, half a bin beyond: 59,456.76 .. 60,054.01.
    assert.ok(Math.abs(ev.zone.low - 59_456.76) < 0.01 && Math.abs(ev.zone.high - 60_054.01) < 0.01, JSON.stringify(ev.zone));
    assert.ok(ev.zone.from_ts === D + 60 * M, 'known from the 1:00 snapshot');
    // Evidence: heavy selling against the typical minute, no liquidations before or during, no progress.
    assert.deepEqual([ev.liquidations_before, ev.liquidations_during, ev.progress_bps], [0, 0, 0]);
    // It fires at the first 5 s close whose minute holds twice the typical minute's selling (0.9
    // BTC): 2:00:10, after 10 s of 0.2 BTC a second.
    assert.ok(Math.abs(ev.typical_volume - 0.9) < 1e-9 && ev.attack_ratio >= 2 && ev.attack_ratio === ev.attack_volume / ev.typical_volume, `attack ${ev.attack_volume} vs typical ${ev.typical_volume}`);
    assert.deepEqual([ev.ts - D, ev.entry_price, ev.window_start_ms - D], [120 * M + 10_000, 59_700, 119 * M + 10_000]);
  });

  it('absorption takes the cluster rule from the command line', async () => {
    const imp = await imported();
    assert.equal(imp.code, 0, imp.err);
    const at = new Date(D + 60 * M).toISOString();
    const base = ['absorption', '--symbol', 'BTCUSDT', '--venues', 'binance', '--zones-at', at, '--home', home];
    // Four reads of one store: side by side.
    const [json, table, strictJson, bad] = await Promise.all([run([...base, '--json']), run(base), run([...base, '--cluster-multiple', '100', '--json']), run([...base, '--window-bins', '-1'])]);
    const found = JSON.parse(json.out) as { zones: unknown[]; events: AbsorptionEvent[] };
    assert.equal(found.zones.length, 1);
    assert.deepEqual(found.events.map((e) => [e.kind, e.direction, e.liquidations_before]), [['revisit', 'buyers_absorb', 0]]);
    assert.match(table.out, /1 zones from the clusters at .*, 1 events/);
    assert.match(table.out, /^\d{4}-\d\d-\d\d \S+ +revisit +buyers_absorb /m);
    // A stricter rule: the cascade (about 71 typical liquidations) is no cluster at 100 typical.
    const strict = JSON.parse(strictJson.out) as { zones: unknown[]; events: unknown[] };
    assert.deepEqual([strict.zones.length, strict.events.length], [0, 0]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--window-bins/);
  });
});
