/**
 * Footprint benchmark: native footprint 1m (level = 1 tick and 10 ticks, tick 0.1) plus CVD 15m,
 * 1h and 1d over N trades (default 2M) in memory, single-threaded, against
 *
 * - DuckDB: the same trades already in an in-memory DuckDB table (ts, price, qty, side), loaded
 *   before timing, and the equivalent SQL: GROUP BY (minute, level index) with buy/sell volume
 *   and counts for each level size, GROUP BY bar with a window SUM for each CVD timeframe. Each
 *   query reduces its groups to totals so every aggregate is computed and nothing is skipped;
 *   DuckDB uses all its threads (2 here).
 * - a straightforward object-per-trade JS implementation (array of {ts, price, qty, side},
 *   Map keyed by `${bucket}:${level}`), built before timing.
 *
 * The three must agree on the totals of every aggregate (volumes, counts, number of levels with
 * trades, number of bars, final cvd) or the bench throws: it never compares different work.
 *
 * Then `orderflow footprint --compat freqtrade` end to end on the same trades as a
 * `timestamp_ms,price,amount,side` CSV, process start to exit, with peak RSS from
 * /usr/bin/time -v, against freqtrade's own `populate_dataframe_with_trades` run on the same CSV
 * by bench/freqtrade_footprint.py when `FREQTRADE_SRC` names a freqtrade source tree (python:
 * `FREQTRADE_PYTHON`, default /usr/bin/python3, with pandas). freqtrade's time is that call
 * alone (its CSV load and dataframe building are reported apart), ours is the whole process. Both
 * must agree on the totals of the result (candles, trades, levels, imbalances, stacked
 * imbalances, bid/ask/delta/min/max delta sums) or the bench throws. Without `FREQTRADE_SRC` the
 * bench says so and reports no freqtrade reference.
 *
 * The trades are the import bench's file (real BTCUSDT trades resampled: real prices, sizes,
 * sides and inter-arrival times), parsed once into TradeColumns.
 *
 * A falling `footprint_cvd_trades_per_s` means the operators' inner loops got slower (or started
 * allocating per trade); a falling freqtrade figure means the CSV scan, the compat path or the
 * JSON writer did.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { TradeColumns } from '../src/core/columns.ts';
import { allocTradeColumns } from '../src/core/columns.ts';
import { CvdOperator, cvdBatch, type CvdBar } from '../src/features/cvd.ts';
import { FootprintOperator, footprintBatch, type FootprintCandle } from '../src/features/footprint.ts';
import { flag } from './flags.ts';
import { ensureFreshDist } from './fresh-dist.ts';
import { aggTradesFile } from './import.ts';
import type { BenchResult } from './run.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const DATA = join(HERE, '.data');
const BIN = join(HERE, '../bin/orderflow');

const TICK = 0.1;
const MINUTE = 60_000;
const LEVEL_TICKS = [1, 10] as const;
const CVD_TFS = [{ name: '15m', ms: 15 * MINUTE }, { name: '1h', ms: 60 * MINUTE }, { name: '1d', ms: 1440 * MINUTE }] as const;
/** Timed repetitions after one untimed warm-up; the median is reported. */
const REPS = 5;
const NAIVE_REPS = 3;

/** Totals of one aggregate, the same whichever side computed it. */
interface Totals {
  name: string;
  /** Footprint: (candle, level) cells with trades; CVD: bars. */
  groups: number;
  buyVolume: number;
  sellVolume: number;
  buyTrades: number;
  sellTrades: number;
  /** CVD only: the cvd of the last bar. */
  lastCvd?: number;
}

/** The aggTrades CSV parsed into columns (setup, untimed). */
function loadColumns(csv: string): TradeColumns {
  const text = readFileSync(csv, 'latin1');
  let rows = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < text.length - 1; i = text.indexOf('\n', i + 1)) rows++;
  const c = allocTradeColumns(rows, ['binance']);
  let at = text.indexOf('\n') + 1;
  let n = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const f = text.slice(at, end).split(',');
    // agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker
    c.ts[n] = Number(f[5]);
    c.price[n] = Number(f[1]);
    c.qty[n] = Number(f[2]);
    c.side[n] = f[6] === 'true' ? -1 : 1;
    n++;
    at = end + 1;
  }
  if (n !== rows) throw new Error(`parsed ${n} rows, counted ${rows}`);
  c.length = n;
  return c;
}

/** The same trades in the layout `--compat freqtrade` reads, written once. */
async function freqtradeCsv(csv: string, rows: number): Promise<string> {
  const path = join(DATA, `freqtrade-trades-bench-v1-${rows}.csv`);
  if (existsSync(path)) return path;
  const text = readFileSync(csv, 'latin1');
  const out = createWriteStream(`${path}.tmp`);
  out.write('timestamp_ms,price,amount,side\n');
  let at = text.indexOf('\n') + 1;
  let buf: string[] = [];
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const f = text.slice(at, end).split(',');
    buf.push(`${f[5]},${f[1]},${f[2]},${f[6] === 'true' ? 'sell' : 'buy'}`);
    if (buf.length === 10_000) {
      if (!out.write(`${buf.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = [];
    }
    at = end + 1;
  }
  out.write(buf.length ? `${buf.join('\n')}\n` : '');
  await new Promise<void>((resolve) => out.end(resolve));
  renameSync(`${path}.tmp`, path);
  return path;
}

// ---------------------------------------------------------------------------------------------
// ours

interface OursOut {
  fp: FootprintCandle[][];
  cvd: CvdBar[][];
}

/** The operators as analyze runs them: push the whole column set, then flush. */
function oursOperators(t: TradeColumns): OursOut {
  const fp: FootprintCandle[][] = LEVEL_TICKS.map(() => []);
  const cvd: CvdBar[][] = CVD_TFS.map(() => []);
  const ops = [
    ...LEVEL_TICKS.map((lt, i) => new FootprintOperator({ timeframeMs: MINUTE, tick: TICK, levelTicks: lt }, (c) => fp[i].push(c))),
    ...CVD_TFS.map((tf, i) => new CvdOperator({ timeframeMs: tf.ms }, (b) => cvd[i].push(b))),
  ];
  for (const op of ops) op.push(t);
  for (const op of ops) op.flush();
  return { fp, cvd };
}

/** Each operator alone over the whole set (median of REPS after a warm-up), for the log. */
async function breakdown(t: TradeColumns): Promise<string[]> {
  const out: string[] = [];
  for (const lt of LEVEL_TICKS) {
    const r = await timed(REPS, () => {
      const op = new FootprintOperator({ timeframeMs: MINUTE, tick: TICK, levelTicks: lt }, () => {});
      op.push(t);
      op.flush();
    });
    out.push(`footprint ${lt} tick ${r.seconds.toFixed(3)}`);
  }
  for (const tf of CVD_TFS) {
    const r = await timed(REPS, () => {
      const op = new CvdOperator({ timeframeMs: tf.ms }, () => {});
      op.push(t);
      op.flush();
    });
    out.push(`cvd ${tf.name} ${r.seconds.toFixed(3)}`);
  }
  return out;
}

function oursBatch(t: TradeColumns): OursOut {
  return {
    fp: LEVEL_TICKS.map((lt) => footprintBatch(t, { timeframeMs: MINUTE, tick: TICK, levelTicks: lt })),
    cvd: CVD_TFS.map((tf) => cvdBatch(t, { timeframeMs: tf.ms })),
  };
}

function oursTotals(o: OursOut): Totals[] {
  const out: Totals[] = [];
  LEVEL_TICKS.forEach((lt, i) => {
    const s: Totals = { name: `footprint 1m x ${lt} tick`, groups: 0, buyVolume: 0, sellVolume: 0, buyTrades: 0, sellTrades: 0 };
    for (const c of o.fp[i]) {
      const L = c.levels;
      for (let k = 0; k < L.length; k++) {
        if (L.buyTrades[k] + L.sellTrades[k] === 0) continue;
        s.groups++;
        s.buyVolume += L.buyVolume[k];
        s.sellVolume += L.sellVolume[k];
        s.buyTrades += L.buyTrades[k];
        s.sellTrades += L.sellTrades[k];
      }
    }
    out.push(s);
  });
  CVD_TFS.forEach((tf, i) => {
    const bars = o.cvd[i];
    const s: Totals = { name: `cvd ${tf.name}`, groups: bars.length, buyVolume: 0, sellVolume: 0, buyTrades: NaN, sellTrades: NaN, lastCvd: bars.at(-1)?.cvd };
    for (const b of bars) {
      s.buyVolume += b.buy_volume;
      s.sellVolume += b.sell_volume;
    }
    out.push(s);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// reference A: DuckDB

function footprintSql(levelTicks: number): string {
  const level = levelTicks === 1 ? 'round(price / 0.1::DOUBLE)' : `round(round(price / 0.1::DOUBLE) / ${levelTicks}::DOUBLE)`;
  return `SELECT count(*) AS groups, sum(buy_v) AS buy_v, sum(sell_v) AS sell_v, sum(buy_n) AS buy_n, sum(sell_n) AS sell_n
    FROM (
      SELECT ts // ${MINUTE} AS bucket, ${level}::BIGINT AS lvl,
        sum(CASE WHEN side > 0 THEN qty ELSE 0 END) AS buy_v,
        sum(CASE WHEN side < 0 THEN qty ELSE 0 END) AS sell_v,
        count(*) FILTER (WHERE side > 0) AS buy_n,
        count(*) FILTER (WHERE side < 0) AS sell_n
      FROM trades GROUP BY bucket, lvl)`;
}

function cvdSql(tfMs: number): string {
  return `SELECT count(*) AS groups, sum(buy_v) AS buy_v, sum(sell_v) AS sell_v, arg_max(cvd, bucket) AS last_cvd
    FROM (
      SELECT bucket, buy_v, sell_v, sum(buy_v - sell_v) OVER (ORDER BY bucket ROWS UNBOUNDED PRECEDING) AS cvd
      FROM (
        SELECT ts // ${tfMs} AS bucket,
          sum(CASE WHEN side > 0 THEN qty ELSE 0 END) AS buy_v,
          sum(CASE WHEN side < 0 THEN qty ELSE 0 END) AS sell_v
        FROM trades GROUP BY bucket))`;
}

async function duckdbSide(csv: string, rows: number): Promise<{ run(): Promise<Totals[]>; setThreads(n: number): Promise<void>; threads: string; version: string; close(): void }> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(
    `CREATE TABLE trades AS
     SELECT transact_time AS ts, price, quantity AS qty, (CASE WHEN is_buyer_maker THEN -1 ELSE 1 END)::TINYINT AS side
     FROM read_csv($1, header = true, columns = {
       'agg_trade_id': 'BIGINT', 'price': 'DOUBLE', 'quantity': 'DOUBLE', 'first_trade_id': 'BIGINT',
       'last_trade_id': 'BIGINT', 'transact_time': 'BIGINT', 'is_buyer_maker': 'BOOLEAN'})`,
    [csv],
  );
  const one = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS()[0] as Record<string, unknown>;
  const [{ n }] = [await one('SELECT count(*) AS n FROM trades')];
  if (Number(n) !== rows) throw new Error(`duckdb table has ${n} rows, file has ${rows}`);
  const threads = String((await one(`SELECT current_setting('threads') AS t`)).t);
  const version = String((await one('SELECT version() AS v')).v);
  return {
    threads,
    version,
    async setThreads(n: number) {
      await conn.run(`SET threads = ${n}`);
    },
    async run() {
      const out: Totals[] = [];
      for (const lt of LEVEL_TICKS) {
        const r = await one(footprintSql(lt));
        out.push({ name: `footprint 1m x ${lt} tick`, groups: Number(r.groups), buyVolume: Number(r.buy_v), sellVolume: Number(r.sell_v), buyTrades: Number(r.buy_n), sellTrades: Number(r.sell_n) });
      }
      for (const tf of CVD_TFS) {
        const r = await one(cvdSql(tf.ms));
        out.push({ name: `cvd ${tf.name}`, groups: Number(r.groups), buyVolume: Number(r.buy_v), sellVolume: Number(r.sell_v), buyTrades: NaN, sellTrades: NaN, lastCvd: Number(r.last_cvd) });
      }
      return out;
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// reference B: naive JS

interface Trade {
  ts: number;
  price: number;
  qty: number;
  side: number;
}

interface Cell {
  buyVolume: number;
  sellVolume: number;
  buyTrades: number;
  sellTrades: number;
}

function naiveFootprint(trades: Trade[], tfMs: number, tick: number, levelTicks: number): Map<string, Cell> {
  const cells = new Map<string, Cell>();
  for (const t of trades) {
    const bucket = Math.floor(t.ts / tfMs);
    const level = Math.round(Math.round(t.price / tick) / levelTicks);
    const key = `${bucket}:${level}`;
    let c = cells.get(key);
    if (!c) {
      c = { buyVolume: 0, sellVolume: 0, buyTrades: 0, sellTrades: 0 };
      cells.set(key, c);
    }
    if (t.side > 0) {
      c.buyVolume += t.qty;
      c.buyTrades++;
    } else {
      c.sellVolume += t.qty;
      c.sellTrades++;
    }
  }
  return cells;
}

function naiveCvd(trades: Trade[], tfMs: number): { bucket: number; buy: number; sell: number; cvd: number }[] {
  const bars = new Map<number, { bucket: number; buy: number; sell: number; cvd: number }>();
  for (const t of trades) {
    const bucket = Math.floor(t.ts / tfMs);
    let b = bars.get(bucket);
    if (!b) {
      b = { bucket, buy: 0, sell: 0, cvd: 0 };
      bars.set(bucket, b);
    }
    if (t.side > 0) b.buy += t.qty;
    else b.sell += t.qty;
  }
  const out = [...bars.values()].sort((a, b) => a.bucket - b.bucket);
  let cvd = 0;
  for (const b of out) {
    cvd += b.buy - b.sell;
    b.cvd = cvd;
  }
  return out;
}

function naive(trades: Trade[]): { fp: Map<string, Cell>[]; cvd: ReturnType<typeof naiveCvd>[] } {
  return {
    fp: LEVEL_TICKS.map((lt) => naiveFootprint(trades, MINUTE, TICK, lt)),
    cvd: CVD_TFS.map((tf) => naiveCvd(trades, tf.ms)),
  };
}

function naiveTotals(o: ReturnType<typeof naive>): Totals[] {
  const out: Totals[] = [];
  LEVEL_TICKS.forEach((lt, i) => {
    const s: Totals = { name: `footprint 1m x ${lt} tick`, groups: o.fp[i].size, buyVolume: 0, sellVolume: 0, buyTrades: 0, sellTrades: 0 };
    for (const c of o.fp[i].values()) {
      s.buyVolume += c.buyVolume;
      s.sellVolume += c.sellVolume;
      s.buyTrades += c.buyTrades;
      s.sellTrades += c.sellTrades;
    }
    out.push(s);
  });
  CVD_TFS.forEach((tf, i) => {
    const bars = o.cvd[i];
    const s: Totals = { name: `cvd ${tf.name}`, groups: bars.length, buyVolume: 0, sellVolume: 0, buyTrades: NaN, sellTrades: NaN, lastCvd: bars.at(-1)?.cvd };
    for (const b of bars) {
      s.buyVolume += b.buy;
      s.sellVolume += b.sell;
    }
    out.push(s);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// checks and timing

function sameNumber(a: number, b: number, exact: boolean): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (exact) return a === b;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Throw unless `got` (one side) matches `want` (ours) on every aggregate. */
function checkTotals(side: string, want: Totals[], got: Totals[]): void {
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = got[i];
    const bad: string[] = [];
    if (g.name !== w.name) bad.push(`aggregate ${g.name} vs ${w.name}`);
    if (!sameNumber(g.groups, w.groups, true)) bad.push(`groups ${g.groups} vs ${w.groups}`);
    if (!sameNumber(g.buyTrades, w.buyTrades, true)) bad.push(`buy trades ${g.buyTrades} vs ${w.buyTrades}`);
    if (!sameNumber(g.sellTrades, w.sellTrades, true)) bad.push(`sell trades ${g.sellTrades} vs ${w.sellTrades}`);
    if (!sameNumber(g.buyVolume, w.buyVolume, false)) bad.push(`buy volume ${g.buyVolume} vs ${w.buyVolume}`);
    if (!sameNumber(g.sellVolume, w.sellVolume, false)) bad.push(`sell volume ${g.sellVolume} vs ${w.sellVolume}`);
    if (w.lastCvd !== undefined && !sameNumber(g.lastCvd ?? NaN, w.lastCvd, false)) bad.push(`last cvd ${g.lastCvd} vs ${w.lastCvd}`);
    if (bad.length > 0) throw new Error(`footprint bench: ${side} disagrees with ours on ${w.name}: ${bad.join(', ')}`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** One untimed warm-up run (returned, for the checks), then `reps` timed runs; median seconds. */
async function timed<T>(reps: number, f: () => T | Promise<T>): Promise<{ result: T; seconds: number; all: number[]; cold: number }> {
  let t0 = performance.now();
  const result = await f();
  const cold = (performance.now() - t0) / 1000;
  const all: number[] = [];
  for (let r = 0; r < reps; r++) {
    t0 = performance.now();
    await f();
    all.push((performance.now() - t0) / 1000);
  }
  return { result, seconds: median(all), all, cold };
}

const fmtS = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(' ');

// ---------------------------------------------------------------------------------------------
// freqtrade compat end to end

/** Totals of a freqtrade-compatible footprint, the same whichever side computed it. */
interface FreqtradeTotals {
  candles: number;
  trades: number;
  levels: number;
  bid: number;
  ask: number;
  delta: number;
  min_delta: number;
  max_delta: number;
  bid_imbalances: number;
  ask_imbalances: number;
  stacked_bid: number;
  stacked_ask: number;
  stacked_bid_sum: number;
  stacked_ask_sum: number;
}

interface E2e {
  seconds: number;
  /** User + system CPU of the process (null without /usr/bin/time). */
  cpuSeconds: number | null;
  maxRssMB: number | null;
  totals: FreqtradeTotals;
}

interface OursCandle {
  total_trades: number;
  bid: number;
  ask: number;
  delta: number;
  min_delta: number;
  max_delta: number;
  stacked_imbalances_bid: number | null;
  stacked_imbalances_ask: number | null;
  levels: unknown[][];
}

function oursFreqtradeTotals(candles: OursCandle[]): FreqtradeTotals {
  const t: FreqtradeTotals = { candles: candles.length, trades: 0, levels: 0, bid: 0, ask: 0, delta: 0, min_delta: 0, max_delta: 0, bid_imbalances: 0, ask_imbalances: 0, stacked_bid: 0, stacked_ask: 0, stacked_bid_sum: 0, stacked_ask_sum: 0 };
  for (const c of candles) {
    t.trades += c.total_trades;
    t.levels += c.levels.length;
    t.bid += c.bid;
    t.ask += c.ask;
    t.delta += c.delta;
    t.min_delta += c.min_delta;
    t.max_delta += c.max_delta;
    for (const l of c.levels) {
      if (l[9]) t.bid_imbalances++;
      if (l[10]) t.ask_imbalances++;
    }
    if (c.stacked_imbalances_bid !== null) {
      t.stacked_bid++;
      t.stacked_bid_sum += c.stacked_imbalances_bid;
    }
    if (c.stacked_imbalances_ask !== null) {
      t.stacked_ask++;
      t.stacked_ask_sum += c.stacked_imbalances_ask;
    }
  }
  return t;
}

/** User + system seconds from /usr/bin/time -v's report. */
function cpuOf(report: string): number | null {
  const u = /User time \(seconds\): ([\d.]+)/.exec(report);
  const s = /System time \(seconds\): ([\d.]+)/.exec(report);
  return u && s ? Number(u[1]) + Number(s[1]) : null;
}

function freqtradeEndToEnd(input: string): E2e {
  const out = join(tmpdir(), `orderflow-bench-footprint-${process.pid}.json`);
  const args = ['footprint', '--compat', 'freqtrade', '--input', input, '--timeframe', '1m', '--scale', '1', '--imbalance-ratio', '3', '--imbalance-volume', '1', '--stacked-range', '3', '--out', out];
  const haveTime = existsSync('/usr/bin/time');
  try {
    const t0 = performance.now();
    const r = haveTime
      ? spawnSync('/usr/bin/time', ['-v', BIN, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      : spawnSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`orderflow footprint --compat freqtrade failed (${r.status}): ${r.stderr}`);
    const rss = haveTime ? /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr) : null;
    const json = JSON.parse(readFileSync(out, 'utf8')) as { candles: OursCandle[] };
    return { seconds, cpuSeconds: haveTime ? cpuOf(r.stderr) : null, maxRssMB: rss ? Number(rss[1]) / 1024 : null, totals: oursFreqtradeTotals(json.candles) };
  } finally {
    rmSync(out, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// reference C: freqtrade itself

interface FreqtradeRun {
  populateSeconds: number;
  populateCpuSeconds: number;
  loadSeconds: number;
  maxRssMB: number | null;
  versions: string;
  totals: FreqtradeTotals;
}

const FT_DRIVER = join(HERE, 'freqtrade_footprint.py');

/** freqtrade's populate_dataframe_with_trades on `csv`, or null (said on stderr) without FREQTRADE_SRC. */
function freqtradeRun(csv: string): FreqtradeRun | null {
  const src = process.env.FREQTRADE_SRC;
  if (!src) {
    console.error(
      'freqtrade NOT run: set FREQTRADE_SRC to a freqtrade source tree (the folder holding freqtrade/data/converter/orderflow.py) ' +
        'and have pandas for FREQTRADE_PYTHON (default /usr/bin/python3); no freqtrade reference in this run',
    );
    return null;
  }
  if (!existsSync(join(src, 'freqtrade/data/converter/orderflow.py'))) throw new Error(`FREQTRADE_SRC=${src}: no freqtrade/data/converter/orderflow.py there`);
  const python = process.env.FREQTRADE_PYTHON ?? '/usr/bin/python3';
  const args = [FT_DRIVER, src, csv, '1m', '1', '3', '1', '3'];
  const haveTime = existsSync('/usr/bin/time');
  const r = haveTime
    ? spawnSync('/usr/bin/time', ['-v', python, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 })
    : spawnSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`freqtrade driver failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as FreqtradeTotals & { load_seconds: number; populate_seconds: number; populate_cpu_seconds: number; pandas: string; python: string };
  const rss = haveTime ? /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr) : null;
  const { load_seconds: _l, populate_seconds: _p, populate_cpu_seconds: _c, pandas: _pd, python: _py, ...totals } = out;
  return { populateSeconds: out.populate_seconds, populateCpuSeconds: out.populate_cpu_seconds, loadSeconds: out.load_seconds, maxRssMB: rss ? Number(rss[1]) / 1024 : null, versions: `python ${out.python}, pandas ${out.pandas}`, totals };
}

/** Throw unless freqtrade's result and ours have the same totals. */
function checkFreqtradeTotals(ours: FreqtradeTotals, ft: FreqtradeTotals): void {
  const bad: string[] = [];
  for (const k of Object.keys(ours) as (keyof FreqtradeTotals)[]) {
    const exact = !['bid', 'ask', 'delta', 'min_delta', 'max_delta', 'stacked_bid_sum', 'stacked_ask_sum'].includes(k);
    if (!sameNumber(ft[k], ours[k], exact)) bad.push(`${k} ${ft[k]} vs ours ${ours[k]}`);
  }
  if (bad.length > 0) throw new Error(`footprint bench: freqtrade disagrees with --compat freqtrade: ${bad.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------

export const footprintBench = {
  description: 'footprint 1m (1 and 10 ticks) + CVD 15m/1h/1d on 2M trades vs DuckDB GROUP BY and naive JS; --compat freqtrade end to end',
  async run(args: string[]): Promise<BenchResult[]> {
    const rows = flag(args, '--rows', 2_000_000);
    const csv = await aggTradesFile(rows);
    const cols = loadColumns(csv);
    const spanH = (cols.ts[cols.length - 1] - cols.ts[0]) / 3_600_000;
    console.error(`footprint bench: ${rows.toLocaleString('en-US')} trades over ${spanH.toFixed(1)} h (${csv})`);

    // ours: operators (the reported metric) and the batch functions.
    const ops = await timed(REPS, () => oursOperators(cols));
    const want = oursTotals(ops.result);
    const batch = await timed(REPS, () => oursBatch(cols));
    checkTotals('footprintBatch/cvdBatch', want, oursTotals(batch.result));
    console.error(`ours operators: cold ${ops.cold.toFixed(3)} s, warm ${fmtS(ops.all)} s`);
    console.error(`ours batch:     cold ${batch.cold.toFixed(3)} s, warm ${fmtS(batch.all)} s`);
    console.error(`  per operator (median warm s): ${(await breakdown(cols)).join(', ')}`);

    // reference A: DuckDB, trades loaded before timing.
    const db = await duckdbSide(csv, rows);
    const duck = await timed(REPS, () => db.run());
    checkTotals('duckdb', want, duck.result);
    console.error(`duckdb ${db.version} (${db.threads} threads): cold ${duck.cold.toFixed(3)} s, warm ${fmtS(duck.all)} s`);
    await db.setThreads(1);
    const duck1 = await timed(REPS, () => db.run());
    db.close();
    console.error(`duckdb 1 thread (info only): warm ${fmtS(duck1.all)} s, ${(rows / duck1.seconds / 1e6).toFixed(1)}M trades/s`);

    // reference B: naive JS, objects built before timing.
    let objs: Trade[] | null = [];
    for (let k = 0; k < cols.length; k++) objs.push({ ts: cols.ts[k], price: cols.price[k], qty: cols.qty[k], side: cols.side[k] });
    const objects = objs;
    const nv = await timed(NAIVE_REPS, () => naive(objects));
    checkTotals('naive js', want, naiveTotals(nv.result));
    objs = null;
    console.error(`naive js: cold ${nv.cold.toFixed(3)} s, warm ${fmtS(nv.all)} s`);
    for (const t of want) console.error(`  agree: ${t.name.padEnd(22)} ${String(t.groups).padStart(7)} groups, buy ${t.buyVolume.toFixed(3)}, sell ${t.sellVolume.toFixed(3)}`);

    // freqtrade compat, end to end in its own process.
    const ftCsv = await freqtradeCsv(csv, rows);
    await ensureFreshDist('footprint');
    const e2eRuns = [freqtradeEndToEnd(ftCsv), freqtradeEndToEnd(ftCsv), freqtradeEndToEnd(ftCsv)];
    for (const r of e2eRuns) {
      if (r.totals.trades !== rows) throw new Error(`--compat freqtrade output covers ${r.totals.trades} trades, input has ${rows}`);
      if (r.totals.candles !== ops.result.fp[0].length) throw new Error(`--compat freqtrade made ${r.totals.candles} candles, the native 1m footprint ${ops.result.fp[0].length}`);
    }
    const e2eSeconds = median(e2eRuns.map((r) => r.seconds));
    const rssRuns = e2eRuns.map((r) => r.maxRssMB);
    const e2eRss = rssRuns.every((x): x is number => x !== null) ? Math.max(...rssRuns) : null;
    console.error(
      `--compat freqtrade (${(statSync(ftCsv).size / 1e6).toFixed(0)} MB csv, ${e2eRuns[0].totals.candles} candles): ${fmtS(e2eRuns.map((r) => r.seconds))} s ` +
        `(CPU ${e2eRuns.map((r) => (r.cpuSeconds === null ? 'null' : r.cpuSeconds.toFixed(2))).join(' ')} s), ` +
        `peak RSS ${e2eRss === null ? 'null (no /usr/bin/time)' : rssRuns.map((x) => x!.toFixed(0)).join(' ') + ' MB'}`,
    );

    const ft = freqtradeRun(ftCsv);
    if (ft) {
      checkFreqtradeTotals(e2eRuns[0].totals, ft.totals);
      const oursCpu = median(e2eRuns.map((r) => r.cpuSeconds ?? NaN));
      console.error(
        `freqtrade populate_dataframe_with_trades (${ft.versions}): ${ft.populateSeconds.toFixed(2)} s, CPU ${ft.populateCpuSeconds.toFixed(2)} s ` +
          `(+ ${ft.loadSeconds.toFixed(2)} s loading the CSV into its dataframes, not counted); ours CPU ${oursCpu.toFixed(2)} s: CPU ratio ${(ft.populateCpuSeconds / oursCpu).toFixed(1)}x, ` +
          `peak RSS ${ft.maxRssMB === null ? 'null' : ft.maxRssMB.toFixed(0) + ' MB'}; agrees on ${ft.totals.candles} candles, ${ft.totals.levels} levels, ` +
          `${ft.totals.bid_imbalances + ft.totals.ask_imbalances} imbalances, ${ft.totals.stacked_bid + ft.totals.stacked_ask} stacked`,
      );
    }

    const rate = (s: number) => rows / s;
    const FT = ft ? `freqtrade populate_dataframe_with_trades (run here, ${ft.versions})` : 'freqtrade (not run: FREQTRADE_SRC unset)';
    const results: BenchResult[] = [
      { bench: 'footprint', metric: 'footprint_cvd_trades_per_s', ours: rate(ops.seconds), reference: rate(duck.seconds), referenceName: `duckdb GROUP BY (${db.threads} threads)`, ratio: duck.seconds / ops.seconds, target: '>= 1x DuckDB, >= 20M trades/s' },
      { bench: 'footprint', metric: 'footprint_cvd_trades_per_s_vs_naive', ours: rate(ops.seconds), reference: rate(nv.seconds), referenceName: 'naive js (objects + Map)', ratio: nv.seconds / ops.seconds, target: 'ratio > 1' },
      { bench: 'footprint', metric: 'footprint_cvd_batch_trades_per_s', ours: rate(batch.seconds), reference: rate(duck.seconds), referenceName: `duckdb GROUP BY (${db.threads} threads)`, ratio: duck.seconds / batch.seconds, target: '>= 1x DuckDB, >= 20M trades/s' },
      { bench: 'footprint', metric: 'freqtrade_e2e_seconds', ours: e2eSeconds, reference: ft?.populateSeconds ?? null, referenceName: FT, ratio: ft ? ft.populateSeconds / e2eSeconds : null, target: '>= 50x, < 1.5 s' },
      { bench: 'footprint', metric: 'freqtrade_e2e_peak_rss_mb', ours: e2eRss ?? NaN, reference: ft?.maxRssMB ?? null, referenceName: FT, ratio: e2eRss === null || !ft?.maxRssMB ? null : ft.maxRssMB / e2eRss, target: '< 500 MB' },
    ];
    return results;
  },
};
