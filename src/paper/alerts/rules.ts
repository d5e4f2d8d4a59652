/**
 * The alert rules, evaluated incrementally on normalized events and engine outputs (pure: no
 * I/O, no wall clock; times are the events' exchange `ts`, so replay and live behave alike).
 *
 * - `flow`: aggressive notional (price x qty, quote) of one aggressor side, summed over the
 *   rule's venues within the window.
 * - `liquidations`: liquidated notional of one side of positions (`long` = forced sells) within
 *   the window.
 * - `signal` / `outcome`: every matching signal / resolved prediction horizon fires once (a
 *   session on several venues signals on their merged flow, venue `merged`: any rule's venues match).
 *
 * A window rule fires when its sum reaches the threshold and is then disarmed: one burst, one
 * alert. It re-arms when the sum falls back below the threshold. The window is (now - window,
 * now], `now` being the latest exchange time of the events the rule counts (a flow rule's trades,
 * a liquidations rule's liquidations, of any side, on its venues), or `advanceTo`, which the
 * paper trader calls from its wall clock when the market is quiet.
 */
import type { AlertRuleConfig } from '../../engine/alerts-config.ts';
import type { CaptureRecord } from '../../core/events.ts';
import { compactNumber, durationText, type Alert, type EngineOutput } from './alert.ts';
import { RollingSum } from './rolling-sum.ts';

type WindowRuleConfig = Extract<AlertRuleConfig, { kind: 'flow' | 'liquidations' }>;
type EngineRuleConfig = Extract<AlertRuleConfig, { kind: 'signal' | 'outcome' }>;

const VENUE_INDEX: Readonly<Record<string, number>> = { binance: 0, okx: 1, bybit: 2 };
const VENUE_NAMES = ['binance', 'okx', 'bybit'];

class WindowRule {
  readonly window: RollingSum;
  /** The event `type` and `side` that count. */
  readonly eventType: 'trade' | 'liquidation';
  readonly eventSide: 'buy' | 'sell';
  readonly venueOn = new Uint8Array(VENUE_NAMES.length);
  armed = true;
  /**
   * The rule's clock: the latest exchange time of the events it counts, on its venues (or
   * `advanceTo`). Only that stream's: a venue's streams come on separate connections (Binance
   * serves its book on another route than its trades) and are not ordered against each other, so
   * a book or ticker running ahead would push trades still on their way out of the window before
   * they are counted (0 flow alerts in a paper session whose book connection ran 1-3 minutes of
   * exchange time ahead of its trades). One stream of one venue arrives in time order.
   */
  now = -Infinity;
  /** Symbol of the last event counted (named in the alert). */
  lastSymbol = '';

  constructor(readonly config: WindowRuleConfig) {
    this.window = new RollingSum(config.window, VENUE_NAMES.length);
    this.eventType = config.kind === 'flow' ? 'trade' : 'liquidation';
    // A long is liquidated by a forced SELL (src/core/events.ts).
    this.eventSide = config.kind === 'flow' ? config.side : config.side === 'long' ? 'sell' : 'buy';
    for (const v of config.venues) this.venueOn[VENUE_INDEX[v]] = 1;
  }

  /**
   * The clock moves to `ts` (a counted stream's newer event), before that event is added: what
   * left the window meanwhile is dropped, and the rule re-arms when the sum fell below the
   * threshold in between (a sparse stream, liquidations, may have no event while it did).
   */
  moveTo(ts: number): void {
    this.now = ts;
    this.window.evict(ts);
    if (this.window.sum < this.config.notional) this.armed = true;
  }

  alert(ts: number): Alert {
    const c = this.config;
    const s = this.window.sum;
    const parts = c.venues.filter((v) => this.window.byVenue[VENUE_INDEX[v]] > 0).map((v) => `${v} ${compactNumber(this.window.byVenue[VENUE_INDEX[v]])}`);
    const what = c.kind === 'flow' ? `aggressive ${c.side}s` : `${c.side}s liquidated`;
    const text = `${c.name}: ${what} ${compactNumber(s)} (quote) within ${durationText(c.window)} on ${this.lastSymbol} [${parts.join(', ')}] >= ${compactNumber(c.notional)}`;
    const fields: Record<string, number | string> = { side: c.side, notional: s, threshold: c.notional, windowMs: c.window, symbol: this.lastSymbol, venues: c.venues.join(',') };
    for (const v of c.venues) fields[`notional_${v}`] = this.window.byVenue[VENUE_INDEX[v]];
    return { rule: c.name, kind: c.kind, ts, text, fields };
  }
}

export class AlertRules {
  private readonly windows: WindowRule[] = [];
  private readonly engineRules: EngineRuleConfig[] = [];
  /** Latest exchange time fed. */
  private now = -Infinity;

  constructor(
    rules: readonly AlertRuleConfig[],
    private readonly onAlert: (a: Alert) => void,
  ) {
    for (const r of rules) {
      if (r.kind === 'flow' || r.kind === 'liquidations') this.windows.push(new WindowRule(r));
      else this.engineRules.push(r);
    }
  }

  onEvents(records: readonly CaptureRecord[]): void {
    for (let i = 0; i < records.length; i++) this.onEvent(records[i]);
  }

  onEvent(e: CaptureRecord): void {
    // A candle has no single time: it moves no clock.
    if (e.type === 'kline') return;
    if (e.ts > this.now) this.now = e.ts;
    if (e.type === 'trade' || e.type === 'liquidation') {
      const venue = VENUE_INDEX[e.venue];
      const notional = e.price * e.qty;
      // A row the store would refuse (NaN price) must not poison a sum for the rest of the run.
      if (venue !== undefined && Number.isFinite(notional) && Number.isFinite(e.ts)) {
        for (const w of this.windows) {
          if (w.eventType !== e.type || w.venueOn[venue] === 0) continue;
          if (e.ts > w.now) w.moveTo(e.ts);
          if (w.eventSide === e.side && w.window.add(e.ts, notional, venue, w.now)) w.lastSymbol = e.symbol;
        }
      }
    }
    this.evaluate();
  }

  /** Move the clock without an event (a quiet market, from the wall clock): windows drain and re-arm. */
  advanceTo(ts: number): void {
    if (!(ts > this.now)) return;
    this.now = ts;
    for (const w of this.windows) if (ts > w.now) w.now = ts;
    this.evaluate();
  }

  onEngine(x: EngineOutput): void {
    for (const r of this.engineRules) {
      // A multi-venue session's signals are on the merged flow (venue 'merged'): every venue's rule matches them.
      if (r.kind !== x.kind || (x.venue !== 'merged' && !(r.venues as readonly string[]).includes(x.venue))) continue;
      if (r.types && !r.types.includes(x.type)) continue;
      if (r.kind === 'signal' && x.kind === 'signal') {
        if (r.direction && r.direction !== x.direction) continue;
        this.onAlert({
          rule: r.name,
          kind: 'signal',
          ts: x.ts,
          text: `${r.name}: ${x.type} signal #${x.id} ${x.direction} at ${x.level} on ${x.venue} (${x.session})`,
          fields: { id: x.id, type: x.type, direction: x.direction, level: x.level, venue: x.venue, session: x.session },
        });
      } else if (r.kind === 'outcome' && x.kind === 'outcome') {
        if (r.horizon !== undefined && r.horizon !== x.horizonMs) continue;
        if (!outcomeMatches(r.result, x)) continue;
        const became = x.brokeThrough ? 'broke through' : x.rejected ? 'rejected' : x.touched ? 'touched' : 'not touched';
        this.onAlert({
          rule: r.name,
          kind: 'outcome',
          ts: x.ts,
          text: `${r.name}: ${x.type} #${x.id} ${x.direction} at ${x.level} on ${x.venue} after ${durationText(x.horizonMs)}: ${became}, ${x.returnBps.toFixed(1)} bps (${x.hit ? 'hit' : 'miss'})`,
          fields: { id: x.id, type: x.type, direction: x.direction, level: x.level, venue: x.venue, horizonMs: x.horizonMs, touched: x.touched, rejected: x.rejected, brokeThrough: x.brokeThrough, returnBps: x.returnBps, hit: x.hit },
        });
      }
    }
  }

  private evaluate(): void {
    for (const w of this.windows) {
      w.window.evict(w.now);
      if (w.window.sum >= w.config.notional) {
        if (w.armed) {
          w.armed = false;
          this.onAlert(w.alert(w.now));
        }
      } else w.armed = true;
    }
  }
}

function outcomeMatches(result: Extract<AlertRuleConfig, { kind: 'outcome' }>['result'], x: Extract<EngineOutput, { kind: 'outcome' }>): boolean {
  switch (result) {
    case 'any':
      return true;
    case 'touched':
      return x.touched;
    case 'rejected':
      return x.rejected;
    case 'broke':
      return x.brokeThrough;
    case 'hit':
      return x.hit;
    case 'miss':
      return !x.hit;
  }
}
