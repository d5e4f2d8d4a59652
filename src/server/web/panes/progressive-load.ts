/**
 * A first load draws what is on screen first: each series but the candles gets only its points
 * from `fromTime` on (the bars on screen and a margin), and its older points after the first
 * render, one series per idle task. lightweight-charts converts and indexes every item a
 * `setData` hands it (hundreds of milliseconds for the eight 50k-point series of a 50k-bar view);
 * off screen those points draw nothing, and the price scales fit the visible points only, so the
 * first frame is the one the whole span would give. The candles keep the whole span from the
 * start: they are the chart's time scale, which every pane's points and layers are placed on.
 *
 * A series scrolled to before its older points land shows them when they do (the write is a
 * `setData`, which repaints). A later load of the series drops the pending write (SplitSeries).
 */

/** What `drain` waits for before each write: an idle slot, or a task where the browser has no idle callbacks. */
function idle(): Promise<void> {
  return new Promise((r) => (typeof requestIdleCallback === 'function' ? requestIdleCallback(() => r(), { timeout: 500 }) : setTimeout(r, 0)));
}

function frame(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => r()));
}

export class ProgressiveLoad {
  /** Chart time (UTC seconds) of the first point written at once; -Infinity writes everything at once. */
  fromTime = -Infinity;
  private readonly jobs: (() => void)[] = [];
  private drained = false;

  /** Writes the older points of a series: after the first render (`drain`), or now once that is past. */
  defer(write: () => void): void {
    if (this.drained) write();
    else this.jobs.push(write);
  }

  /** Writes pending (tests and the docs' claim that the older points are written at all). */
  get pending(): number {
    return this.jobs.length;
  }

  /**
   * After the frame showing the first render, the deferred writes, one per idle task (each is one
   * series' setData: a frame's worth of work, not the whole span's at once). An aborted load (the
   * view changed) drops those left.
   */
  async drain(signal: AbortSignal): Promise<void> {
    await frame();
    await frame();
    while (this.jobs.length && !signal.aborted) {
      await idle();
      if (signal.aborted) break;
      this.jobs.shift()!();
    }
    this.jobs.length = 0;
    this.drained = true;
  }
}
