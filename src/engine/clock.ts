/**
 * The kernel's clocks (docs/ENGINE.md). The engine's time only ever moves through
 * `Engine.advanceTo(ts)` and the events it is given; a clock decides who calls `advanceTo`:
 *
 * - ReplayClock: time is the data's. The replay driver moves it to each event (and each timer
 *   between events); it never ticks on its own, so a backtest is deterministic.
 * - WallClock: time is a time source's (Date.now by default), polled every `tickMs`, so timers
 *   fire, time stops trigger and equity is sampled while the market is quiet.
 */

export interface Clock {
  /** The current time, epoch ms. */
  now(): number;
  /**
   * Call `onTick(now)` whenever time moves on its own, until the returned function is called.
   * A replay clock never does (the data moves it).
   */
  start(onTick: (now: number) => void): () => void;
}

/** Time is the data's: set by the replay driver, never moving by itself or backwards. */
export class ReplayClock implements Clock {
  private t = -Infinity;

  now(): number {
    return this.t;
  }

  /** The replay reached `ts` (earlier times are ignored: the clock is monotonic). */
  set(ts: number): void {
    if (ts > this.t) this.t = ts;
  }

  start(): () => void {
    return () => {};
  }
}

/** What a wall clock needs from its host: a time source and a repeating scheduler (injectable for tests). */
export interface WallClockOptions {
  /** Epoch ms now; default Date.now. */
  readonly source?: () => number;
  /** How often time is polled while running; default 1000 ms (timers are 1-minute: a tick is never late by more than this). */
  readonly tickMs?: number;
  /**
   * Hold the clock back by this much (default 0): a venue event stamped before a timer but
   * arriving up to `lagMs` after it still comes before that timer.
   */
  readonly lagMs?: number;
  readonly setInterval?: (fn: () => void, ms: number) => unknown;
  readonly clearInterval?: (handle: unknown) => void;
}

/** Time is the host's: polled every tickMs, monotonic even if the source steps back. */
export class WallClock implements Clock {
  private readonly source: () => number;
  private readonly tickMs: number;
  private readonly lagMs: number;
  private last = -Infinity;

  constructor(private readonly o: WallClockOptions = {}) {
    this.source = o.source ?? Date.now;
    this.tickMs = o.tickMs ?? 1000;
    this.lagMs = o.lagMs ?? 0;
    if (!(this.tickMs > 0 && Number.isFinite(this.tickMs))) throw new RangeError(`WallClock: tickMs must be finite and > 0, got ${this.tickMs}`);
    if (!(this.lagMs >= 0 && Number.isFinite(this.lagMs))) throw new RangeError(`WallClock: lagMs must be finite and >= 0, got ${this.lagMs}`);
  }

  now(): number {
    // A system clock stepped back (NTP) must not move the kernel back: it stays where it was.
    const t = this.source() - this.lagMs;
    if (t > this.last) this.last = t;
    return this.last;
  }

  start(onTick: (now: number) => void): () => void {
    const set = this.o.setInterval ?? ((fn: () => void, ms: number) => setInterval(fn, ms));
    const clear = this.o.clearInterval ?? ((h: unknown) => clearInterval(h as ReturnType<typeof setInterval>));
    const handle = set(() => onTick(this.now()), this.tickMs);
    return () => clear(handle);
  }
}
