/**
 * The paper session's signals and resolved prediction horizons as alert inputs (`signal` and
 * `outcome` rules), each given once.
 *
 * A resumed session replays its stored events through a fresh kernel, which produces again every
 * signal and outcome it had before the stop or the crash. Those were alerted then: what the
 * journal holds (signal ids, resolved horizons) is passed in as `already` and never re-sent. The
 * session alerts a step's signals and outcomes before the journal commits them, so a crash between
 * the two re-sends that one step's alerts on resume (at least once, never lost).
 */
import type { PredictionRecord, RunSignal } from '../../engine/run-types.ts';
import type { LiveAlerts } from './live-alerts.ts';

/** What the journal of a resumed session holds: alerted before the restart. */
export interface AlreadyAlerted {
  /** The highest signal id journaled (signal ids grow with time); -Infinity for none. */
  readonly maxSignalId: number;
  /** `${id}:${horizonMs}` of every horizon journaled as resolved. */
  readonly outcomes: ReadonlySet<string>;
}

export const NOTHING_ALERTED: AlreadyAlerted = { maxSignalId: -Infinity, outcomes: new Set() };

export class EngineAlerts {
  /** Signals looked at so far (the kernel's signal list only grows). */
  private signals = 0;
  /** Per prediction id: a bit per horizon index already looked at while resolved. */
  private readonly resolved = new Map<number, number>();

  constructor(
    private readonly alerts: LiveAlerts,
    private readonly already: AlreadyAlerted = NOTHING_ALERTED,
  ) {}

  /** The kernel's signals so far, and its predictions when they were read this step (else undefined: no outcome changed). */
  update(signals: readonly RunSignal[], predictions: readonly PredictionRecord[] | undefined): void {
    for (; this.signals < signals.length; this.signals++) {
      const s = signals[this.signals];
      if (s.id <= this.already.maxSignalId) continue;
      this.alerts.onEngine({ kind: 'signal', ts: s.ts, id: s.id, type: s.type, direction: s.direction, level: s.level, venue: s.venue, session: s.session });
    }
    for (const x of predictions ?? []) {
      let bits = this.resolved.get(x.id) ?? 0;
      const before = bits;
      for (let i = 0; i < x.outcomes.length; i++) {
        const o = x.outcomes[i];
        if (!o.resolved || (bits & (1 << i)) !== 0) continue;
        bits |= 1 << i;
        if (this.already.outcomes.has(`${x.id}:${o.horizonMs}`)) continue;
        const returnBps = o.returnBps ?? 0;
        this.alerts.onEngine({
          kind: 'outcome', ts: x.ts + o.horizonMs, id: x.id, type: x.type, direction: x.direction, level: x.level, venue: x.venue,
          horizonMs: o.horizonMs, touched: o.touched, rejected: o.rejected, brokeThrough: o.brokeThrough, returnBps, hit: o.hit ?? returnBps > 0,
        });
      }
      if (bits !== before) this.resolved.set(x.id, bits);
    }
  }
}
