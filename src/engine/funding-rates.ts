/**
 * The execution market's funding rates, kept incrementally as rows arrive (docs/ENGINE.md,
 * "Funding"). The rate charged at funding time T, first that applies:
 *
 * 1. a settlement record for T: an archive row (no `nextFundingTs`) stamped in [T, T + 1 min]
 *    carries the rate settled at T. Archives stamp it just after T; the rate itself was fixed
 *    at T. Only the replay driver can hand it over at T (it reads at most one minute ahead, for
 *    this rule alone); a live feed has no archive rows.
 * 2. a stream row received at or before T whose `nextFundingTs` is T: ticker streams carry the
 *    *next* settlement's predicted rate, so the one announced for T is the one charged at T.
 * 3. the last row at or before T within one interval (a stream without `nextFundingTs`);
 * 4. none: NaN (the engine then charges the configured rate and warns).
 *
 * Accounting, not a decision input: no strategy sees it.
 */
export class FundingRates {
  private lastTs = -Infinity;
  private lastRate = NaN;
  private predictedFor = NaN;
  private predictedRate = NaN;
  private settledTs = NaN;
  private settledRate = NaN;

  /** A row with a finite rate, in time order. */
  onRow(ts: number, rate: number, nextFundingTs: number): void {
    if (Number.isFinite(nextFundingTs)) {
      this.predictedFor = nextFundingTs;
      this.predictedRate = rate;
    }
    this.lastTs = ts;
    this.lastRate = rate;
  }

  /** The settlement record for T (rule 1). */
  settle(T: number, rate: number): void {
    this.settledTs = T;
    this.settledRate = rate;
  }

  /** The rate charged at funding time T, NaN when none is known (rules above). */
  rateAt(T: number, intervalMs: number): number {
    if (this.settledTs === T) return this.settledRate;
    if (this.predictedFor === T) return this.predictedRate;
    if (this.lastTs <= T && this.lastTs > T - intervalMs) return this.lastRate;
    return NaN;
  }
}
