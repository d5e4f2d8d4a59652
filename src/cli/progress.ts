import { formatCount, formatDuration } from './format.ts';

/**
 * A one-line progress bar on stderr: percentage, rows/s and ETA. Redrawn at most 10 times a
 * second, and only on a terminal (logs and pipes get the per-file summary lines instead).
 */

export class ProgressBar {
  private lastDraw = 0;
  private readonly started = performance.now();
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled = Boolean(process.stderr.isTTY) && !process.env.CI,
  ) {}

  update(done: number, total: number, rows: number): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const secs = (now - this.started) / 1000;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const width = 24;
    const filled = Math.round(frac * width);
    const rate = secs > 0 ? rows / secs : 0;
    const eta = frac > 0 ? secs / frac - secs : NaN;
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${formatCount(rows)} rows  ${formatCount(rate)}/s  ETA ${formatDuration(eta)}`;
    this.stream.write(`\r${line.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
    this.drawn = true;
  }

  /** Erase the bar so the summary line can take its place. */
  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
