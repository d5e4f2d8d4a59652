/**
 * The issue's "two weeks at high speed": a paper session on the simulator's loopback exchanges
 * through 14 simulated days of a thin market with a daily absorption (test/paper/two-weeks.ts),
 * served as fast as the servers go; then `orderflow journal report --json` on its store, checked
 * against the journal's own rows: accuracy per signal type, venue and market session with the
 * Wilson interval of its counts, P&L as the sum of the round trips' fills, fees and funding, the
 * drawdown of the equity samples, the null model present; and the live heap and the RSS outside
 * DuckDB, sampled against simulated time, do not grow (docs/PAPER.md, "Memory over two weeks").
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseConfig } from '../../src/engine/config.ts';
import type { BacktestMetrics } from '../../src/engine/metrics.ts';
import type { HitRateRow } from '../../src/engine/run-types.ts';
import { wilsonInterval } from '../../src/engine/stats.ts';
import { PaperRun } from '../../src/paper/paper-run.ts';
import { Store } from '../../src/store/store.ts';
import { BIN } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/store.ts';
import { mappedRss, type MappedRss } from '../helpers/smaps.ts';
import { waitFor } from '../helpers/wait.ts';
import { serveStory, useServers } from './serve-story.ts';
import { STORY_CONFIG, storyStart } from './story.ts';
import { DAY, twoWeeks } from './two-weeks.ts';

/** The story's strategy; an entry waits up to three minutes for a trade to fill it (a trade every two minutes a venue). */
const CONFIG = { ...STORY_CONFIG, execution: { staleAfter: '3m' } };

// A full collection before each sample: what is left is what the session holds, not garbage not yet collected.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

type Row = Record<string, number | string | boolean | null>;

interface Report {
  readonly sessions: readonly {
    readonly session: string;
    readonly fromMs: number;
    readonly toMs: number;
    readonly counts: { readonly signals: number; readonly predictions: number; readonly trades: number; readonly fills: number };
    readonly accuracy: readonly HitRateRow[];
    readonly nullModel: { readonly seeds: number; readonly comparisons: readonly { readonly measure: string; readonly type: string; readonly horizonMs: number; readonly verdict: string }[] };
    readonly verdicts: readonly string[];
    readonly metrics: BacktestMetrics;
  }[];
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

describe('paper: two simulated weeks at speed, then journal report', () => {
  const home = tempDir('orderflow-paper-weeks-');
  // Midnight UTC: which market session each day's absorption falls in depends on the story's
  // hour of day (two-weeks.ts), not on the machine; from the next whole hour instead, a run at
  // 14:00 had none in Europe.
  const t0 = storyStart(5000, DAY);
  const events = twoWeeks(t0);
  const lastTs = events[events.length - 1].ts;
  /**
   * RSS and the live heap (MB, after a full collection) against the kernel's simulated day, with
   * DuckDB's own memory (its buffer manager's count, `duckdb_memory()`), read just after.
   */
  const rss: { day: number; mb: number; heap: number; duck: number; mapped?: MappedRss }[] = [];
  let store: Store;
  let report: Report['sessions'][number];
  let wallMs = 0;
  let lateEvents = NaN;

  before(async () => {
    // 14 days in ~12 s of wall time: paced, so memory is sampled all along the run (at full speed
    // a quiet machine runs it in a few seconds, a handful of pushes a day).
    // The loopback servers run in this process: their REST history (Binance's 100,000 trades a
    // symbol, OKX's 10,000) would grow the heap measured here all run long. 2,000 trades a venue
    // is more than the back-fill of a downtime in this market needs (it has none).
    const story = await serveStory(events, t0, 100_000, 2000);
    const restore = useServers(story.serving);
    store = await Store.open(home);
    // Eight samples per simulated day, taken after the kernel's pushes (it runs the 14 days in
    // seconds on a quiet machine: a wall-clock timer would sample only a few of them).
    let lastDay = -Infinity;
    const sample = (_w: number, p: { now: number }) => {
      if (!Number.isFinite(p.now) || (p.now - t0) / DAY < lastDay + 1 / 8) return;
      lastDay = (p.now - t0) / DAY;
      gc();
      const m = process.memoryUsage();
      // Which mappings hold it, once a simulated day (the diagnostics of the RSS test).
      const s = { day: lastDay, mb: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20, duck: NaN, mapped: Math.floor(lastDay) > Math.floor(rss.at(-1)?.day ?? -1) ? mappedRss() : undefined };
      rss.push(s);
      void store.rows<{ b: bigint }>('SELECT sum(memory_usage_bytes)::BIGINT AS b FROM duckdb_memory()').then(([r]) => (s.duck = Number(r.b) / 2 ** 20), () => {});
    };
    // quietMs is wall time, and at this speed 1 ms of it is 100 s of the market: a venue's socket
    // silent 100 ms while the others flow no longer holds the watermark and its rows come late
    // (counted; docs/PAPER.md, "The clock"). None on a loaded machine; a few dozen with two more
    // busy processes on its two cores. A longer quietMs holds every row behind each liquidation
    // for as long (a day of this market per second), which the memory samples would see.
    const run = await PaperRun.start({ store, name: 'weeks', symbol: 'BTC', venues: ['binance', 'okx', 'bybit'], config: parseConfig(CONFIG), quietMs: 100, settleMs: 300, log: () => {}, probe: { onPushed: sample } });
    const started = performance.now();
    try {
      // The session is active (its start taken from the quiet wall clock) before the feed, which
      // runs at full speed, starts: a loaded machine that took a second longer to start the
      // session would otherwise begin it hours into the story.
      await waitFor(() => run.status().started, 'the session active', 30_000, 20);
      await story.play();
      await waitFor(() => (run.status().progress?.now ?? -Infinity) > lastTs, 'the session past the last event', 150_000, 50);
    } finally {
      wallMs = performance.now() - started;
      lateEvents = run.status().lateEvents;
      await run.stop();
      await story.serving.close();
      restore();
      store.close();
    }
    const r = await runProcess(BIN, ['journal', 'report', '--session', 'weeks', '--json', '--null-seeds', '3', '--home', home]);
    assert.equal(r.code, 0, r.stderr);
    [report] = (JSON.parse(r.stdout) as Report).sessions;
    store = await Store.open(home, { readOnly: true });
  });

  after(() => store?.close());

  const rows = (sql: string) => store.rows<Row>(sql);

  it('runs through fourteen simulated days, trading and predicting in every market session', async (t) => {
    t.diagnostic(`${events.length} events, ${(wallMs / 1000).toFixed(1)} s wall, ${report.counts.signals} signals, ${report.counts.trades} round trips`);
    assert.equal(report.session, 'weeks');
    // Active from the first watermark (the feed is already running then), through the last event.
    assert.ok(report.fromMs < t0 + DAY / 4 && report.toMs >= lastTs, `the report spans ${new Date(report.fromMs).toISOString()} to ${new Date(report.toMs).toISOString()}`);
    // Half the days' absorption at least is taken (others fall on a position still open, or on
    // the daily loss limit).
    assert.ok(report.counts.trades >= 7, `${report.counts.trades} round trips`);
    const sessions = await rows("SELECT DISTINCT market_session AS s FROM paper_signals WHERE session = 'weeks' ORDER BY s");
    const names = sessions.map((s) => String(s.s));
    t.diagnostic(`market sessions with signals: ${names.join(', ')}; late events ${lateEvents}`);
    // The story's absorptions fall at fixed UTC hours in Asia, Europe and US (two-weeks.ts).
    assert.deepEqual(names, ['Asia', 'Europe', 'US']);
  });

  it('reports accuracy by signal type, venue and market session with the Wilson interval of the journal\'s counts', async () => {
    const groups = [['type', 'type'], ['venue', 'venue'], ['session', 'market_session']] as const;
    const horizons = [...new Set(report.accuracy.map((a) => a.horizonMs))];
    assert.ok(horizons.length >= 2);
    for (const h of horizons) {
      const all = await rows(`SELECT count(*)::INTEGER AS n, count(*) FILTER (hit)::INTEGER AS hits FROM paper_predictions WHERE session = 'weeks' AND resolved AND horizon_ms = ${h}`);
      const expect: [string, string, number, number][] = [['all', 'all', all[0].n as number, all[0].hits as number]];
      for (const [group, column] of groups) {
        const g = await rows(`SELECT ${column} AS k, count(*)::INTEGER AS n, count(*) FILTER (hit)::INTEGER AS hits FROM paper_predictions WHERE session = 'weeks' AND resolved AND horizon_ms = ${h} GROUP BY k ORDER BY k`);
        for (const x of g) expect.push([group, x.k as string, x.n as number, x.hits as number]);
      }
      const got = report.accuracy.filter((a) => a.horizonMs === h && a.n > 0);
      assert.deepEqual(got.map((a) => [a.group, a.key, a.n, a.hits]).sort(), expect.sort(), `horizon ${h}`);
      for (const a of got) {
        const ci = wilsonInterval(a.hits, a.n);
        close(a.ci!.lower, ci.lower, `${a.group} ${a.key} ${h} lower`);
        close(a.ci!.upper, ci.upper, `${a.group} ${a.key} ${h} upper`);
        assert.ok(a.ci!.lower <= a.hitRate! && a.hitRate! <= a.ci!.upper);
      }
    }
    assert.ok(report.accuracy.some((a) => a.group === 'session' && a.n > 0));
  });

  it('P&L is the sum of the journal\'s round trips, their fills, fees and funding payments', async () => {
    const m = report.metrics;
    const [p] = await rows("SELECT count(*)::INTEGER AS n, sum(pnl) AS pnl, sum(gross_pnl) AS gross, sum(fees) AS fees, sum(funding) AS funding FROM paper_positions WHERE session = 'weeks' AND exit_ts IS NOT NULL");
    assert.equal(m.tradeCount, p.n);
    close(m.netPnl, p.pnl as number, 'net P&L');
    close(p.pnl as number, (p.gross as number) - (p.fees as number) - (p.funding as number), 'pnl = gross - fees - funding');
    // Fees: every fill's fee, entry and exit alike (no position is open at the end: the last day's drift ends flat).
    const [f] = await rows("SELECT sum(fee) AS fees FROM paper_fills WHERE session = 'weeks'");
    close(m.feesPaid, f.fees as number, 'fees = the fills\' fees');
    const [fund] = await rows("SELECT coalesce(sum(payment), 0) AS paid, count(*)::INTEGER AS n FROM paper_funding WHERE session = 'weeks'");
    close(m.fundingPaid, fund.paid as number, 'funding = the payments');
    // Gross P&L: every round trip's exit against its entry, from its fills.
    const [g] = await rows(`SELECT sum(CASE WHEN p.side = 'long' THEN 1 ELSE -1 END * (x.price - e.price) * p.qty) AS gross
      FROM paper_positions p JOIN paper_fills e ON e.session = p.session AND e.ts = p.entry_ts AND e.reason = 'entry'
      JOIN paper_fills x ON x.session = p.session AND x.ts = p.exit_ts AND x.reason <> 'entry' WHERE p.session = 'weeks' AND p.exit_ts IS NOT NULL`);
    close(g.gross as number, p.gross as number, 'gross = exits - entries from the fills');
  });

  it('the drawdown is the deepest fall of the equity samples from their running peak', async () => {
    const eq = await rows("SELECT ts, equity FROM paper_equity WHERE session = 'weeks' ORDER BY ts");
    let peak = -Infinity;
    let worst = 0;
    for (const e of eq) {
      peak = Math.max(peak, e.equity as number);
      worst = Math.max(worst, (peak - (e.equity as number)) / peak);
    }
    assert.ok(worst > 0, 'the stopped-out days draw the equity down');
    close(report.metrics.maxDrawdown.fraction, worst, 'max drawdown');
  });

  it('compares with the null model over the same period and says so', () => {
    assert.equal(report.nullModel.seeds, 3);
    const types = new Set(report.accuracy.filter((a) => a.group === 'type').map((a) => a.key));
    for (const measure of ['held', 'direction']) for (const type of types) assert.ok(report.nullModel.comparisons.some((c) => c.measure === measure && c.type === type), `${measure} ${type}`);
    assert.ok(report.verdicts.length > 0 && report.verdicts.every((v) => /^after \d+ /.test(v)), JSON.stringify(report.verdicts));
  });

  // Memory: after the first quarter (warm-up, allocations that settle); the market is the same
  // every day, so what the session holds must not grow with simulated time.
  const late = () => rss.filter((s) => s.day >= 3.5);

  // The live heap after a full collection, its floor per simulated day: a sample can fall inside
  // a recorder flush, whose batch (a few thousand rows and their raw frames at this speed: ~1 MB)
  // is alive until DuckDB has it; the floor is what the session holds. Its own state is bounded
  // (the push feed holds only unreleased rows, the rings are fixed, the kernel keeps no bars:
  // src/engine/engine.ts `keepBars`); what it keeps per signal (~1 a day: journaled outputs,
  // predictions) is a few KB a day. Measured 2026-12-05 on a loaded machine (docs/PAPER.md,
  // "Memory over two weeks"): 0.06-0.17 MB per simulated day (JIT code, array capacity, the floor's
  // ±1 MB between days); with the kernel's bars kept (~720 a day here) 0.24, and with the servers'
  // REST history too 0.49. Since the story starts at midnight UTC (four setups a day, in all three
  // sessions, each kept in the session's progress with its orders and predictions) it measured
  // 0.20-0.27. 0.4 fails on the REST history and on a leak of ~125 bytes an event (~3,200 a
  // simulated day); the bars alone are test/engine/kernel.test.ts's ("keepBars false").
  it('the live heap does not grow with simulated time', (t) => {
    const floors = dailyFloors(late(), (x) => x.heap);
    assert.ok(floors.length >= 8, `samples on ${floors.length} simulated days`);
    const slope = medianSlope(floors.map((x) => [x.day, x.heap]));
    const all = medianSlope(late().map((x) => [x.day, x.heap]));
    t.diagnostic(`live heap floor by day ${floors.map((x) => x.heap.toFixed(1)).join(' ')} MB (${slope.toFixed(3)} MB/day; every sample: ${all.toFixed(3)} MB/day)`);
    assert.ok(slope < 0.4, `the live heap grows ${slope.toFixed(3)} MB per simulated day`);
  });

  // RSS outside DuckDB: its floor per simulated day (a DuckDB checkpoint holds the kernel for
  // seconds and takes memory it then gives back: samples inside it are not the trend, the floor
  // is) less what DuckDB's buffer manager holds at that sample. DuckDB's part grows with the store
  // until a checkpoint writes it out (the appended rows live in memory until then; at this
  // market's pace the WAL never reaches the 16 MiB automatic checkpoint in the run: ~20 MB by
  // day 14) and is bounded by the store's memory_limit (256 MB, ORDERFLOW_MEMORY_LIMIT:
  // src/store/store.ts), so it is reported, not asserted. Measured 0.41-2.0 MB per simulated
  // day outside DuckDB (the RSS floor itself 2.0-4.1): DuckDB's jemalloc beyond its own count,
  // V8's committed pages and glibc's free chunks, none the session's (the diagnostics print it by
  // mapping; docs/BENCHMARKS.md, "RSS outside DuckDB by mapping"); 3 fails on a leak of ~1 KB an
  // event (~3,200 events a simulated day).
  it('RSS outside DuckDB does not grow with simulated time', (t) => {
    const f = dailyFloors(late().filter((x) => Number.isFinite(x.duck)), (x) => x.mb - x.duck);
    assert.ok(f.length >= 8, `samples on ${f.length} simulated days`);
    const slope = medianSlope(f.map((x) => [x.day, x.mb - x.duck]));
    const rssSlope = medianSlope(f.map((x) => [x.day, x.mb]));
    const duckSlope = medianSlope(f.map((x) => [x.day, x.duck]));
    t.diagnostic(`RSS floor by day ${f.map((x) => x.mb.toFixed(0)).join(' ')} MB (${rssSlope.toFixed(2)} MB/day); DuckDB ${f.map((x) => x.duck.toFixed(0)).join(' ')} MB (${duckSlope.toFixed(2)} MB/day); outside DuckDB ${slope.toFixed(2)} MB/day`);
    // Who holds it (test/helpers/smaps.ts), one sample a simulated day: DuckDB's jemalloc beyond
    // DuckDB's count, V8's pages, glibc's arenas, code paged in.
    const m = late().filter((x) => x.mapped && Number.isFinite(x.duck));
    if (m.length >= 4) {
      const per = (of: (x: (typeof m)[number]) => number) => medianSlope(m.map((x) => [x.day, of(x)])).toFixed(2);
      t.diagnostic(`by mapping, MB per simulated day: jemalloc ${per((x) => x.mapped!.jemalloc)} (beyond DuckDB's count ${per((x) => x.mapped!.jemalloc - x.duck)}), V8 ${per((x) => x.mapped!.v8)}, glibc ${per((x) => x.mapped!.glibc)}, files ${per((x) => x.mapped!.files)}`);
    }
    assert.ok(slope < 3, `RSS outside DuckDB grows ${slope.toFixed(2)} MB per simulated day`);
  });
});

/** Per whole simulated day, the sample with the least `of`. */
function dailyFloors<T extends { day: number }>(samples: readonly T[], of: (x: T) => number): T[] {
  const floors = new Map<number, T>();
  for (const x of samples) {
    const d = Math.floor(x.day);
    const f = floors.get(d);
    if (!f || of(x) < of(f)) floors.set(d, x);
  }
  return [...floors.values()];
}

/** Theil-Sen: the median of the slopes between every two samples at different x. */
function medianSlope(xy: readonly (readonly [number, number])[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < xy.length; i++) for (let j = i + 1; j < xy.length; j++) if (xy[j][0] !== xy[i][0]) slopes.push((xy[j][1] - xy[i][1]) / (xy[j][0] - xy[i][0]));
  slopes.sort((a, b) => a - b);
  const m = slopes.length >> 1;
  return slopes.length % 2 ? slopes[m] : (slopes[m - 1] + slopes[m]) / 2;
}
