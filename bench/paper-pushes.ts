/**
 * The paper benchmark's push breakdown: what the slowest pushes (the p99 tail of `push_us`) did
 * that the others did not. Each push from memory is noted with its cost and what happened inside
 * it: rows by kind (the push feed's `mix`), the kernel's 1-minute timers it fired (and of those,
 * the hourly zone refresh: the liquidation map's and the predicted map's snapshots), signals,
 * orders, closed trades and equity samples it made, and the garbage collections that overlapped it
 * (perf_hooks 'gc' entries, matched by time at the end: the observer reports after the fact).
 */
import { constants, PerformanceObserver, performance, type PerformanceEntry } from 'node:perf_hooks';
import { grown } from '../src/core/columns.ts';
import type { EngineProgress } from '../src/engine/engine.ts';
import type { ReleaseMix } from '../src/paper/push-feed.ts';

const MINUTE_MS = 60_000;

/** Column names of one push's notes (one Float64Array each, grown by doubling). */
const COLS = ['start', 'ms', 'rows', 'trades', 'liquidations', 'tickers', 'bookMessages', 'bookLevels', 'held', 'timers', 'zoneRefresh', 'signals', 'orders', 'closed', 'equity', 'gcMs', 'gcCount'] as const;
type Col = (typeof COLS)[number];

export class PushLog {
  private cols = new Map<Col, Float64Array>(COLS.map((c) => [c, new Float64Array(1 << 14)]));
  n = 0;
  /** The push noted by onReleased, waiting for the progress onPushed brings (-1: none). */
  private open = -1;
  private prev = { now: NaN, signals: 0, orders: 0, trades: 0, equity: 0 };
  private readonly gc: { start: number; ms: number; kind: number }[] = [];
  private readonly observer: PerformanceObserver;

  constructor(private readonly zonesEveryMs: number) {
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.gc.push({ start: e.startTime, ms: e.duration, kind: gcKind(e) });
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  private set(c: Col, i: number, v: number): void {
    this.cols.get(c)![i] = v;
  }

  private get(c: Col): Float64Array {
    return this.cols.get(c)!;
  }

  /** A push from memory released `rows` in `ms`, ending now (performance.now()); `measured`: inside the measured window. */
  released(rows: number, ms: number, mix: Readonly<ReleaseMix>, measured: boolean): void {
    if (!measured) return;
    if (this.n === this.get('ms').length) {
      for (const c of COLS) this.cols.set(c, grown(this.get(c), this.n * 2));
    }
    const i = this.n++;
    this.set('start', i, performance.now() - ms);
    this.set('ms', i, ms);
    this.set('rows', i, rows);
    this.set('trades', i, mix.trades);
    this.set('liquidations', i, mix.liquidations);
    this.set('tickers', i, mix.tickers);
    this.set('bookMessages', i, mix.bookMessages);
    this.set('bookLevels', i, mix.bookLevels);
    this.set('held', i, mix.held);
    this.open = i;
  }

  /** After every push (from memory or the store): what the kernel made in it. */
  pushed(p: EngineProgress): void {
    const prev = this.prev;
    const i = this.open;
    this.open = -1;
    if (i >= 0 && Number.isFinite(prev.now)) {
      const m0 = Math.floor(prev.now / MINUTE_MS);
      const m1 = Math.floor(p.now / MINUTE_MS);
      this.set('timers', i, m1 - m0);
      this.set('zoneRefresh', i, Math.floor(p.now / this.zonesEveryMs) - Math.floor(prev.now / this.zonesEveryMs));
      this.set('signals', i, p.signals.length - prev.signals);
      this.set('orders', i, p.orders.length - prev.orders);
      this.set('closed', i, p.trades.length - prev.trades);
      this.set('equity', i, p.equity.length - prev.equity);
    }
    this.prev = { now: p.now, signals: p.signals.length, orders: p.orders.length, trades: p.trades.length, equity: p.equity.length };
  }

  /** Stop observing; match each collection to the pushes it overlapped. */
  close(): void {
    this.observer.disconnect();
    const start = this.get('start');
    const ms = this.get('ms');
    // Pushes are in time order; so are collections.
    let g = 0;
    for (let i = 0; i < this.n; i++) {
      const a = start[i];
      const b = a + ms[i];
      while (g < this.gc.length && this.gc[g].start + this.gc[g].ms < a) g++;
      let overlap = 0;
      let count = 0;
      for (let k = g; k < this.gc.length && this.gc[k].start < b; k++) {
        overlap += Math.min(b, this.gc[k].start + this.gc[k].ms) - Math.max(a, this.gc[k].start);
        count++;
      }
      this.set('gcMs', i, overlap);
      this.set('gcCount', i, count);
    }
  }

  /** Collections seen over the run, by kind: count and total ms. */
  gcSummary(): string {
    const by = new Map<number, { n: number; ms: number; max: number }>();
    for (const e of this.gc) {
      const x = by.get(e.kind) ?? { n: 0, ms: 0, max: 0 };
      x.n++;
      x.ms += e.ms;
      x.max = Math.max(x.max, e.ms);
      by.set(e.kind, x);
    }
    return [...by].map(([k, x]) => `${GC_KINDS[k] ?? `kind ${k}`} ${x.n} (${x.ms.toFixed(0)} ms, mean ${(x.ms / x.n).toFixed(2)}, max ${x.max.toFixed(1)})`).join(', ');
  }

  /**
   * The slowest `share` of pushes against the rest: per group, the pushes, their mean cost, and
   * for each note its mean and the share of pushes where it happened (> 0).
   */
  breakdown(share = 0.01): string[] {
    if (this.n === 0) return ['no pushes measured'];
    const order = Array.from({ length: this.n }, (_, i) => i).sort((a, b) => this.get('ms')[a] - this.get('ms')[b]);
    const cut = Math.max(1, Math.ceil(this.n * share));
    const slow = order.slice(this.n - cut);
    const rest = order.slice(0, this.n - cut);
    const median = order.slice(Math.floor(this.n * 0.45), Math.ceil(this.n * 0.55));
    const describe = (name: string, idx: number[]) => {
      const mean = (c: Col) => idx.reduce((s, i) => s + this.get(c)[i], 0) / Math.max(1, idx.length);
      const some = (c: Col) => (100 * idx.filter((i) => this.get(c)[i] > 0).length) / Math.max(1, idx.length);
      const f = (c: Col, d = 1) => `${c} ${mean(c).toFixed(d)} (${some(c).toFixed(0)}%)`;
      return (
        `${name.padEnd(10)} ${String(idx.length).padStart(6)} pushes, mean ${(mean('ms') * 1000).toFixed(0)} µs: ` +
        [f('rows'), f('trades'), f('liquidations'), f('tickers'), f('bookMessages'), f('bookLevels', 0), f('held', 0), f('timers', 2), f('zoneRefresh', 2), f('signals', 2), f('orders', 2), f('closed', 2), f('equity', 2), `gc ${(mean('gcMs') * 1000).toFixed(0)} µs (${some('gcCount').toFixed(0)}%)`].join(', ')
      );
    };
    // Where the slow pushes' time went, summed: the part under a collection and the part in pushes that fired a timer.
    const total = slow.reduce((s, i) => s + this.get('ms')[i], 0);
    const inGc = slow.reduce((s, i) => s + this.get('gcMs')[i], 0);
    const timerPushes = slow.filter((i) => this.get('timers')[i] > 0).reduce((s, i) => s + this.get('ms')[i] - this.get('gcMs')[i], 0);
    const zonePushes = slow.filter((i) => this.get('zoneRefresh')[i] > 0).reduce((s, i) => s + this.get('ms')[i] - this.get('gcMs')[i], 0);
    return [
      describe(`slowest ${(share * 100).toFixed(0)}%`, slow),
      describe('median', median),
      describe('the rest', rest),
      `slowest ${(share * 100).toFixed(0)}%: ${total.toFixed(1)} ms in all; under a collection ${((100 * inGc) / total).toFixed(0)}%; outside a collection in pushes that fired a timer ${((100 * timerPushes) / total).toFixed(0)}% (of which with the hourly zone refresh ${((100 * zonePushes) / total).toFixed(0)}%)`,
    ];
  }
}

const GC_KINDS: Record<number, string> = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor (scavenge)', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks' };

function gcKind(e: PerformanceEntry): number {
  const d = (e as PerformanceEntry & { detail?: { kind?: number } }).detail;
  return d?.kind ?? 0;
}
