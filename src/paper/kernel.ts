/**
 * The paper session's kernel: the backtest's Engine with the same strategy, risk, simulated venue
 * (fills, fees, margin, funding) and config, built as `orderflow backtest` builds it, plus two
 * taps that change nothing it computes: what the strategy saw with each signal (the journal's
 * evidence) and each funding payment (the journal's funding rows); and a call when the strategy
 * has decided on a signal (the decision latency's end, src/paper/decision-latency.ts).
 */
import type { Venue } from '../core/events.ts';
import type { Instrument } from '../core/instruments.ts';
import type { BacktestConfig } from '../engine/config.ts';
import { Engine, simulatedVenue, type EngineMarket } from '../engine/engine.ts';
import type { ExecutionClient } from '../engine/execution.ts';
import { seedStrategy } from '../engine/seed-strategy.ts';
import type { FeatureName, Strategy } from '../engine/strategy.ts';
import type { FundingPayment, SignalContext } from './journal.ts';

export interface PaperMarket {
  /** [venue, symbol], the execution market first (or the config's execution.venue). */
  readonly pairs: readonly (readonly [Venue, string])[];
  readonly instrument: Instrument;
}

export interface PaperKernel {
  readonly engine: Engine;
  readonly market: EngineMarket;
  /** Per signal id: the features the strategy saw with it. */
  readonly context: Map<number, SignalContext>;
  readonly funding: FundingPayment[];
}

/** The execution market: config.execution.venue among the pairs, else the first pair (as the backtest picks it). */
export function execPair(pairs: PaperMarket['pairs'], config: BacktestConfig): readonly [Venue, string] {
  const exec = config.execution.venue ? pairs.find((p) => p[0] === config.execution.venue) : pairs[0];
  if (!exec) throw new RangeError(`execution.venue ${config.execution.venue} is not among the session's venues (${pairs.map((p) => p[0]).join(', ')})`);
  return exec;
}

/** `decided(ts)`: the strategy has just decided on a signal stamped `ts` (its order, if any, made): the latency measurement's end. */
export function paperKernel(config: BacktestConfig, m: PaperMarket, activeFromMs: number, decided: (ts: number) => void = () => {}, strategy: (c: BacktestConfig) => Strategy = seedStrategy): PaperKernel {
  const [execVenue, execSymbol] = execPair(m.pairs, config);
  const market: EngineMarket = { venues: [...new Set(m.pairs.map((p) => p[0]))], execVenue, execSymbol, instrument: m.instrument };
  const context = new Map<number, SignalContext>();
  const funding: FundingPayment[] = [];
  const engine = new Engine(config, market, observed(strategy(config), context, decided), {
    activeFromMs,
    // The journal keeps no bars and the session never finishes: kept, they would grow with time.
    keepBars: false,
    execution: (events) => fundingTap(simulatedVenue(config, market, events), funding),
  });
  return { engine, market, context, funding };
}

/** The features the journal's evidence (SignalContext) reads besides the signal's zone. */
const JOURNAL_FEATURES: readonly FeatureName[] = ['cvd', 'venues'];

/** The strategy as it is, and what it saw with each signal noted. */
function observed(inner: Strategy, context: Map<number, SignalContext>, decided: (ts: number) => void): Strategy {
  const s: { -readonly [K in keyof Strategy]: Strategy[K] } = {
    name: inner.name,
    // The journal's evidence reads CVD and the cross-venue window: computed whatever the strategy reads.
    features: inner.features && [...new Set([...inner.features, ...JOURNAL_FEATURES])],
    onSignal(sig, ctx) {
      const f = ctx.features;
      context.set(sig.id, {
        zone: sig.zone ? { low: sig.zone.low, high: sig.zone.high, side: sig.zone.side, source: sig.zone.source } : null,
        cvd15m: f.cvd.get('15m')?.delta ?? null,
        cvd1h: f.cvd.get('1h')?.delta ?? null,
        cvd1d: f.cvd.get('1d')?.delta ?? null,
        venuesScore: f.venues?.score ?? null,
        venuesDisagree: f.venues ? f.venues.disagree : null,
      });
      const verdict = inner.onSignal ? inner.onSignal(sig, ctx) : 'no strategy hook';
      decided(sig.ts);
      return verdict;
    },
  };
  // The kernel calls onEvent only when defined (it is costly): keep the strategy's shape.
  if (inner.onBar) s.onBar = (bar, ctx) => inner.onBar!(bar, ctx);
  if (inner.onEvent) s.onEvent = (run, ctx) => inner.onEvent!(run, ctx);
  return s;
}

/** The venue account as it is; each funding settlement it charges is noted (the equity it moved). Plain delegation: the hot path stays allocation-free. */
function fundingTap(inner: ExecutionClient, out: FundingPayment[]): ExecutionClient {
  return {
    get position() {
      return inner.position;
    },
    get busy() {
      return inner.busy;
    },
    get lastPrice() {
      return inner.lastPrice;
    },
    equity: () => inner.equity(),
    enter: (ts, req) => inner.enter(ts, req),
    exit: (ts, reason) => inner.exit(ts, reason),
    onTime: (ts) => inner.onTime(ts),
    onFunding(ts, rate) {
      const p = inner.position;
      const before = inner.equity();
      inner.onFunding(ts, rate);
      if (p) out.push({ ts, rate, side: p.side, qty: p.qty, payment: before - inner.equity() });
    },
    onTrade: (c, row, markFresh) => inner.onTrade(c, row, markFresh),
    onMark: (ts, mark) => inner.onMark(ts, mark),
    onBook: (ts, book) => inner.onBook(ts, book),
    onQuote: (ts, bid, ask) => inner.onQuote(ts, bid, ask),
    finish: (ts) => inner.finish(ts),
  };
}
