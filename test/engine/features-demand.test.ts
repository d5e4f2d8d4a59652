/**
 * A backtest computes only the features its strategy reads (Strategy.features, strategy.ts):
 * the seed strategy declares what its config's rules read, a strategy that declares nothing gets
 * every operator, and computing less never changes a decision: the same market through every
 * operator and through the declared ones gives the same signals, orders, fills and trades.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { benchConfig, generateMarket } from '../../bench/backtest.ts';
import { UsageError } from '../../src/core/errors.ts';
import { parseConfig, type BacktestConfig } from '../../src/engine/config.ts';
import { Engine, pipelineOutputs, type EngineResult, type InjectedSignal } from '../../src/engine/engine.ts';
import { FeaturePipeline } from '../../src/engine/pipeline.ts';
import { seedStrategy } from '../../src/engine/seed-strategy.ts';
import { loadStrategyModule } from '../../src/engine/strategy-module.ts';
import { FEATURE_NAMES, featuresOf, type Strategy } from '../../src/engine/strategy.ts';
import { paperKernel } from '../../src/paper/kernel.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';

const instrument = loadBundledInstruments().get('binance', 'BTCUSDT')!;
const MARKET = { venues: ['binance', 'bybit'] as const, execVenue: 'binance' as const, execSymbol: 'BTCUSDT', instrument };
// The golden master's market (12 hours: cascades, returns to the zones, book walls, marks, open interest).
const m = generateMarket(500_000);

function engine(config: BacktestConfig, strategy: Strategy, injected?: readonly InjectedSignal[]): Engine {
  return new Engine(config, MARKET, strategy, { injected });
}

async function run(e: Engine): Promise<EngineResult> {
  return e.run({ trades: m.chunks, liquidations: m.liquidations, openInterest: m.openInterest, marks: m.marks, books: [{ venue: 'binance', cols: m.book }] });
}

/** The seed strategy with its declaration removed: every operator, as before declarations existed. */
function undeclared(s: Strategy): Strategy {
  const { features: _f, ...rest } = s;
  void _f;
  return rest;
}

const ALL_OPERATORS = ['divergence', 'sizes', 'venues', 'liquidation-map', 'predicted-liquidations', 'absorption', 'book-walls'];

describe('demand-driven features', () => {
  it('the seed strategy builds only the operators its rules read, for each rule turned off', () => {
    const cases: { config: object; operators: string[] }[] = [
      // Defaults: every rule is on; only the CVD bars (read by no rule) are not made.
      { config: {}, operators: ALL_OPERATORS },
      { config: { signals: { divergence: { enabled: false } } }, operators: ['sizes', 'venues', 'liquidation-map', 'predicted-liquidations', 'absorption', 'book-walls'] },
      { config: { signals: { absorption: { enabled: false } } }, operators: ['divergence', 'sizes', 'venues', 'book-walls'] },
      { config: { entry: { requireLargeFlow: false, vetoOnVenueDisagree: false } }, operators: ['divergence', 'liquidation-map', 'predicted-liquidations', 'absorption', 'book-walls'] },
      // No bait veto: the book is kept for fills only (no walls, no rolling median).
      { config: { entry: { vetoOnBaitOnly: false } }, operators: ['divergence', 'sizes', 'venues', 'liquidation-map', 'predicted-liquidations', 'absorption', 'book'] },
      { config: { entry: { vetoOnBaitOnly: false }, execution: { useBook: false } }, operators: ['divergence', 'sizes', 'venues', 'liquidation-map', 'predicted-liquidations', 'absorption'] },
    ];
    for (const c of cases) {
      const config = parseConfig({ nullModel: { seeds: 0 }, ...c.config });
      assert.deepEqual(engine(config, seedStrategy(config)).operators, c.operators, JSON.stringify(c.config));
    }
  });

  it('a strategy that declares nothing gets every operator and every feature output', async () => {
    const config = parseConfig({ nullModel: { seeds: 0 }, entry: { vetoOnBaitOnly: false } });
    const seen = { cvd: 0, sizes: 0, venues: 0, zones: 0 };
    const s: Strategy = {
      name: 'reads-everything',
      onBar(_b, ctx) {
        const f = ctx.features;
        seen.cvd = Math.max(seen.cvd, f.cvd.size);
        if (f.sizes) seen.sizes++;
        if (f.venues) seen.venues++;
        if (f.zones.length > 0) seen.zones++;
      },
    };
    const e = engine(config, s);
    assert.deepEqual(e.operators, ALL_OPERATORS);
    const r = await run(e);
    assert.ok(seen.cvd >= 2 && seen.sizes > 0 && seen.venues > 0 && seen.zones > 0, JSON.stringify(seen));
    assert.ok(r.signals.length > 0 && r.zones.length > 0);
  });

  it('a strategy sees only what it declared: undeclared outputs are never delivered', async () => {
    const config = parseConfig({ nullModel: { seeds: 0 } });
    let bars = 0;
    const s: Strategy = {
      name: 'sizes-only',
      features: ['sizes'],
      onBar(_b, ctx) {
        bars++;
        assert.equal(ctx.features.cvd.size, 0);
        assert.equal(ctx.features.venues, undefined);
        assert.equal(ctx.features.zones.length, 0);
        assert.equal(ctx.features.recentWalls.length, 0);
      },
    };
    const e = engine(config, s);
    assert.deepEqual(e.operators, ['sizes', 'book']);
    const r = await run(e);
    assert.ok(bars > 0);
    assert.equal(r.signals.length, 0);
    assert.equal(r.zones.length, 0);
  });

  it('only the declared operators give the same signals, orders, fills and trades as every operator', async () => {
    // Defaults (every rule on), and a config whose rules read no size, venue or wall feature.
    for (const over of [{}, { entry: { requireLargeFlow: false, vetoOnVenueDisagree: false, vetoOnBaitOnly: false } }]) {
      const config = parseConfig({ nullModel: { seeds: 0 }, ...over });
      const lean = engine(config, seedStrategy(config));
      const full = engine(config, undeclared(seedStrategy(config)));
      assert.ok(lean.operators.length < full.operators.length || JSON.stringify(over) === '{}', 'the lean run builds fewer operators');
      const [a, b] = [await run(lean), await run(full)];
      assert.ok(b.signals.length > 0 && b.trades.length > 0 && b.orders.length > 0, 'the market makes signals, orders and trades');
      assert.deepEqual(a.signals, b.signals);
      assert.deepEqual(a.orders, b.orders);
      assert.deepEqual(a.trades, b.trades);
      // Nothing the run returns reads an operator the strategy did not declare: the whole result is the same.
      assert.equal(JSON.stringify(a), JSON.stringify(b));
    }
  });

  it('a null-model run computes no signal of its own and trades the injected signals the same', async () => {
    const config = parseConfig({ nullModel: { seeds: 0 } });
    const real = await run(engine(config, seedStrategy(config)));
    // The real signals half an hour later, as a shuffled run would place them.
    const injected: InjectedSignal[] = real.signals.map((x) => ({
      ts: x.ts + 30 * 60_000,
      make: (ref) => ({ type: x.type, direction: x.direction, level: ref, venue: x.venue, evidence: x.evidence, zone: null, timeframeMs: null }),
    }));
    const lean = engine(config, seedStrategy(config), injected);
    const full = engine(config, undeclared(seedStrategy(config)), injected);
    assert.deepEqual(lean.operators, ['sizes', 'venues', 'book-walls']);
    assert.deepEqual(pipelineOutputs(featuresOf({ features: ['absorption', 'zones'] }), true), ['zones']);
    const [a, b] = [await run(lean), await run(full)];
    assert.ok(b.trades.length > 0, 'the injected signals trade');
    assert.deepEqual(a.signals, b.signals);
    assert.deepEqual(a.orders, b.orders);
    assert.deepEqual(a.trades, b.trades);
    assert.deepEqual(a.equity, b.equity);
    // Zone bands are the one difference: the lean null run has none (nothing reads them).
    assert.equal(a.zones.length, 0);
  });

  it('the pipeline builds the operators its outputs need, and refuses an unknown output', () => {
    const build = (outputs: never[] | string[]) => new FeaturePipeline({ withOpenInterest: true, sessions: false, outputs: outputs as never }, () => {}).operators;
    assert.deepEqual(build(['cvd_1h']), ['divergence']);
    assert.deepEqual(build(['zones']), ['liquidation-map', 'predicted-liquidations']);
    assert.deepEqual(build(['absorption']), ['liquidation-map', 'predicted-liquidations', 'absorption']);
    assert.deepEqual(build([]), []);
    assert.throws(() => build(['cvd_5m']), /unknown output 'cvd_5m'/);
  });

  it("the backtest bench's --features builds the seed strategy's operators for those features alone, and refuses a name it does not switch", () => {
    const ops = (f?: string[]) => engine(benchConfig(f), seedStrategy(benchConfig(f))).operators;
    assert.deepEqual(ops(), engine(parseConfig({ nullModel: { seeds: 0 } }), seedStrategy(parseConfig({}))).operators, 'no flag: the defaults');
    assert.deepEqual(ops(['absorption']), ['liquidation-map', 'predicted-liquidations', 'absorption', 'book']);
    assert.deepEqual(ops(['absorption', 'sizes']), ['sizes', 'liquidation-map', 'predicted-liquidations', 'absorption', 'book']);
    assert.deepEqual(ops([]), ['book']);
    assert.throws(() => benchConfig(['cvd']), /unknown cvd \(known: absorption, divergence, sizes, venues, walls\)/);
  });

  it("a paper session also computes what its journal's evidence reads (CVD, cross venue), and everything for an undeclared strategy", () => {
    const config = parseConfig({ nullModel: { seeds: 0 } });
    const pairs = [['binance', 'BTCUSDT'], ['bybit', 'BTCUSDT']] as const;
    const seed = paperKernel(config, { pairs, instrument }, 0).engine;
    assert.deepEqual([...seed.features].sort(), ['absorption', 'cvd', 'divergence', 'sizes', 'venues', 'walls']);
    const mine = paperKernel(config, { pairs, instrument }, 0, () => {}, () => ({ name: 'mine', onSignal: () => 'no' })).engine;
    assert.deepEqual([...mine.features], [...FEATURE_NAMES]);
  });

  describe('strategy modules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'of-features-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, body: string) => {
      const f = join(dir, name);
      writeFileSync(f, body);
      return f;
    };

    it('a module may declare the features it reads; an unknown name is a usage error naming it', async () => {
      const ok = await loadStrategyModule(write('ok.ts', `export default () => ({ name: 'x', features: ['absorption', 'sizes'], onSignal: () => 'no' });`));
      assert.deepEqual([...featuresOf(ok(parseConfig({})))], ['absorption', 'sizes']);
      const bad = await loadStrategyModule(write('bad.ts', `export default () => ({ name: 'x', features: ['absorption', 'footprint'], onSignal: () => 'no' });`));
      assert.throws(() => bad(parseConfig({})), (e: Error) => e instanceof UsageError && /unknown feature 'footprint'/.test(e.message) && /bad\.ts/.test(e.message));
      const notArray = await loadStrategyModule(write('str.ts', `export default () => ({ name: 'x', features: 'sizes', onSignal: () => 'no' });`));
      assert.throws(() => notArray(parseConfig({})), (e: Error) => e instanceof UsageError && /features must be an array/.test(e.message));
      const none = await loadStrategyModule(write('none.ts', `export default () => ({ name: 'x', onSignal: () => 'no' });`));
      assert.deepEqual([...featuresOf(none(parseConfig({})))], [...FEATURE_NAMES]);
    });
  });
});
