/**
 * `simulate(config)`: a deterministic three-venue perpetual-futures market (docs/SIMULATOR.md).
 * Builds each venue from the bundled instrument data, the agents, the scenario's plants, and
 * returns the run: its events (simulated as they are read) and the labels of what was planted.
 */
import { PERP_VENUES, type MarketEvent, type Venue } from '../core/events.ts';
import { perpSymbol } from '../core/instruments.ts';
import { createRng } from '../engine/random.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { ActivityRegime, Arbitrageur, DEFAULT_MAKER, DEFAULT_RETAIL, MarketMaker, ParentOrderAgent, RetailFlow, type MakerParams, type RetailParams } from './agents.ts';
import { Market } from './market.ts';
import { seedBackground, type SimWorld } from './scenario.ts';
import { SCENARIO_MODULES } from './scenarios/index.ts';
import { SCENARIOS, type SimConfig, type SimLabel, type SimRun } from './types.ts';
import { FIXED_ACCOUNTS, SimVenue } from './venue.ts';

/** 2026-01-06 12:00 UTC, a Tuesday: Europe's afternoon into the US open. */
export const DEFAULT_SIM_START_MS = Date.UTC(2026, 0, 6, 12, 0, 0);
/** BTC around where the bundled instrument data was taken. */
const START_PRICE: Readonly<Record<string, number>> = { BTC: 90_000, ETH: 3_000, SOL: 140 };

/**
 * The leverage of the positions open before the run: moderate, so the quiet market has only the
 * odd liquidation (of the high-leverage holders opened during the run) and no cascade of its own.
 */
const BACKGROUND_LEVERAGES = [2, 3, 5, 10, 10, 20, 25];

/**
 * The market's mood (ActivityRegime): how far (sigma of the log multiplier) and how slowly the
 * taker arrival rate wanders; and the share of a big print's or forced order's excitation that
 * lingers on the retail's slow kernel (size-dependent clustering).
 */
const DEFAULT_MOOD = { sigma: 0.8, tauMs: 20 * 60_000, stepMs: 10_000, bigPrintSlow: 0.02 } as const;

/** Median size (BTC) of the positions open before the run: retail closes them whole, so they shape the print sizes too. */
const BACKGROUND_SIZE_MEDIAN = 0.035;

/** Per-venue activity: the share of the market's flow and depth each venue has (Binance leads). */
const VENUE_WEIGHT: Readonly<Partial<Record<Venue, number>>> = { binance: 1, okx: 0.55, bybit: 0.7 };

/**
 * A full config from a partial one: BTC on Binance, OKX and Bybit from DEFAULT_SIM_START_MS, seed
 * 1, `quiet`, for the scenario's default duration (its plants laid out after the detectors' warm-up).
 */
export function simConfig(partial: Partial<SimConfig> = {}): SimConfig {
  const scenario = partial.scenario ?? 'quiet';
  if (!SCENARIOS.includes(scenario)) throw new RangeError(`sim: scenario ${JSON.stringify(scenario)} is not one of ${SCENARIOS.join(', ')}`);
  const c: SimConfig = {
    scenario,
    seed: partial.seed ?? 1,
    startMs: partial.startMs ?? DEFAULT_SIM_START_MS,
    durationMs: partial.durationMs ?? SCENARIO_MODULES[scenario].defaultDurationMs,
    symbol: (partial.symbol ?? 'BTC').toUpperCase(),
    venues: partial.venues ?? PERP_VENUES,
  };
  if (!Number.isSafeInteger(c.seed)) throw new RangeError(`sim: seed must be a safe integer, got ${c.seed}`);
  if (!(Number.isInteger(c.startMs) && c.startMs >= 0)) throw new RangeError(`sim: startMs must be a whole epoch ms >= 0, got ${c.startMs}`);
  if (!(Number.isInteger(c.durationMs) && c.durationMs >= 1000)) throw new RangeError(`sim: durationMs must be a whole number of ms >= 1000, got ${c.durationMs}`);
  if (c.venues.length === 0) throw new RangeError('sim: venues must name at least one of binance, okx, bybit');
  for (const v of c.venues) if (!PERP_VENUES.includes(v)) throw new RangeError(`sim: venue ${JSON.stringify(v)} is not simulated; accepted: ${PERP_VENUES.join(', ')}`);
  return c;
}

/** The built world before it runs (tests inspect accounts through it). */
export interface Simulation {
  readonly world: SimWorld;
  readonly market: Market;
  readonly labels: () => SimLabel[];
}

export function buildSimulation(config: SimConfig): Simulation {
  const registry = loadBundledInstruments();
  const root = createRng(config.seed).fork(`sim:${config.scenario}:${config.symbol}`);
  const startPrice = START_PRICE[config.symbol];
  if (startPrice === undefined) throw new RangeError(`sim: symbol ${config.symbol} has no start price; simulated: ${Object.keys(START_PRICE).join(', ')}`);
  const venues = config.venues.map((venue, i) => {
    const symbol = perpSymbol(venue, config.symbol);
    const inst = registry.get(venue, symbol);
    if (!inst) throw new RangeError(`sim: ${venue} ${symbol} is not in the bundled instrument data`);
    const v = new SimVenue(venue, i, inst, startPrice);
    v.lastPrice = startPrice;
    return v;
  });
  const market = new Market(venues, config.startMs, config.durationMs);
  let nextAccount = 1; // 0 is the liquidation engine
  const account = (): number => {
    if (nextAccount >= FIXED_ACCOUNTS) throw new RangeError(`sim: more than ${FIXED_ACCOUNTS} agent accounts`);
    return nextAccount++;
  };

  const makers: MarketMaker[] = [];
  const retail: RetailFlow[] = [];
  const regime = new ActivityRegime(root.fork('regime'), config.startMs, DEFAULT_MOOD.sigma, DEFAULT_MOOD.tauMs, DEFAULT_MOOD.stepMs);
  for (const v of venues) {
    const w = VENUE_WEIGHT[v.venue] ?? 1;
    const mp: MakerParams = { ...DEFAULT_MAKER, denseSize: DEFAULT_MAKER.denseSize * w, sparseSize: DEFAULT_MAKER.sparseSize * w, impactTicks: DEFAULT_MAKER.impactTicks / w };
    makers.push(new MarketMaker(market, v, account(), root.fork(`maker:${v.venue}`), mp));
    const rp: RetailParams = { ...DEFAULT_RETAIL, mu: DEFAULT_RETAIL.mu * w };
    retail.push(new RetailFlow(market, v, root.fork(`retail:${v.venue}`), rp, regime));
  }
  const accountsOnEvery = (): number[] => {
    const a = account();
    return venues.map(() => a);
  };
  const institutional = new ParentOrderAgent(market, root.fork('institutional'), accountsOnEvery(), 25);
  const arbitrageur = new Arbitrageur(market, root.fork('arbitrage'), accountsOnEvery(), 1.5, 0.15);

  // Big prints and forced orders draw traders in (the self-excitation across agents).
  market.onTake = (vi, _sign, qty, forced) => {
    if (forced || qty > 0.5) {
      const kick = Math.min(3, (forced ? 0.6 : 0.2) * Math.sqrt(qty));
      retail[vi].excite(kick, kick * DEFAULT_MOOD.bigPrintSlow);
    }
  };

  const world: SimWorld = {
    config,
    market,
    rng: root.fork('scenario'),
    startPrice,
    makers,
    retail,
    arbitrageur,
    program: (name) => new ParentOrderAgent(market, root.fork(`program:${name}`), accountsOnEvery(), Infinity),
    account,
    at: (ts, fn) => {
      market.addAgent({ wake: (now) => (fn(now), Infinity) }, ts);
    },
  };

  for (const v of venues) seedBackground(v, root.fork(`holders:${v.venue}`), startPrice, Math.round(2500 * (VENUE_WEIGHT[v.venue] ?? 1)), BACKGROUND_SIZE_MEDIAN, BACKGROUND_LEVERAGES);
  const labels = SCENARIO_MODULES[config.scenario].setup(world);

  // The makers quote before anything else, so each venue's first book message is a real snapshot.
  const start = config.startMs;
  for (const mm of makers) market.addAgent(mm, mm.wake(start));
  retail.forEach((r, i) => market.addAgent(r, start + 50 + i * 7));
  market.addAgent(institutional, start + 60_000);
  market.addAgent(arbitrageur, start + 200);
  return { world, market, labels };
}

export function simulate(config: SimConfig): SimRun {
  const c = simConfig(config);
  let sim: Simulation | undefined;
  let done = false;
  let labels: SimLabel[] = [];
  return {
    config: c,
    symbols: Object.fromEntries(c.venues.map((v) => [v, perpSymbol(v, c.symbol)])),
    events(): Iterable<MarketEvent> {
      if (sim) throw new Error('sim: events() can be iterated once per run (the market is simulated as it is read)');
      sim = buildSimulation(c);
      const s = sim;
      // The market's own generator handed through (not re-yielded from a wrapping generator, nor
      // wrapped in an iterator of ours: a frame less per event); it reports its end, and the
      // labels are read then.
      return {
        [Symbol.iterator]: () =>
          s.market.run(() => {
            labels = s.labels();
            done = true;
          }),
      };
    },
    labels() {
      if (!done) throw new Error('sim: labels() are complete once events() is exhausted');
      return { scenario: c.scenario, seed: c.seed, symbol: c.symbol, labels };
    },
  };
}


