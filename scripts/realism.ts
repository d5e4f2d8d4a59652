/**
 * Realism, measured (docs/SIMULATOR.md "Realism"): the stylized facts of the real captures the
 * repository carries, and with --sim of `simulate()` runs beside them.
 *
 *   node --import tsx scripts/realism.ts                 # real captures only
 *   node --import tsx scripts/realism.ts --sim           # + quiet and long-cascade, seed 1, 2 h, three venues
 *   node --import tsx scripts/realism.ts --sim --scenario quiet --seed 7 --minutes 240
 *
 * Writes docs/img/sim/realism.md (the table) and the SVG plots beside it, and prints the table.
 * Same inputs, same bytes. The real files are read from test/fixtures (byte-exact copies of the
 * team's data folder, each with its source in that folder's README) through the importer's own
 * format detection and venue parsers (src/sim/capture-columns.ts).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PERP_VENUES, type EventType, type MarketEvent, type Venue } from '../src/core/events.ts';
import type { InstrumentRegistry } from '../src/core/instruments.ts';
import { marketColumns, readFileEvents } from '../src/sim/capture-columns.ts';
import { absAcfSvg, realismTable, returnHistogramSvg, sizeCcdfSvg, type RealismColumn } from '../src/sim/realism-report.ts';
import { MarketColumnsBuilder, stylizedFacts } from '../src/sim/stylized-facts.ts';
import { SCENARIOS, type ScenarioName, type SimConfig, type SimRun } from '../src/sim/types.ts';
import { loadBundledInstruments } from '../src/venues/bundled-instruments.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = `${ROOT}docs/img/sim/`;

interface RealSource {
  readonly label: string;
  readonly venue: Venue;
  readonly symbol: string;
  /** Files under test/fixtures, and which event types each contributes. */
  readonly files: readonly { readonly path: string; readonly take: readonly EventType[] }[];
}

/** The real tapes: every capture with enough of one market to measure something. */
const REAL: readonly RealSource[] = [
  {
    label: 'Binance USD-M BTCUSDT 2024-08-08',
    venue: 'binance',
    symbol: 'BTCUSDT',
    files: [
      // 10,000 consecutive @trade prints (3.6 min); the book from the all-streams head (27 s).
      { path: 'binance/full/hftbacktest-binance-um-BTCUSDT-trade-20240808.txt.gz', take: ['trade'] },
      { path: 'binance/full/hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head.txt.gz', take: ['book'] },
    ],
  },
  {
    label: 'Binance spot BTCUSDT 2026-01-01 (aggTrades)',
    venue: 'binance-spot',
    symbol: 'BTCUSDT',
    files: [{ path: 'binance/full/binance-spot-aggTrades-BTCUSDT-2026-01-01-head5000.csv.gz', take: ['trade'] }],
  },
  {
    label: 'Bybit linear BTCUSDT 2026-08-09',
    venue: 'bybit',
    symbol: 'BTCUSDT',
    files: [
      { path: 'bybit/full/bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl', take: ['trade'] },
      { path: 'bybit/full/bybit-v5-linear-ws-orderbook200-2026-08-09.jsonl.gz', take: ['book'] },
    ],
  },
  {
    label: 'OKX UNI-USD-SWAP 2022-05-13',
    venue: 'okx',
    symbol: 'UNI-USD-SWAP',
    files: [
      { path: 'okx/full/okx-v5-ws-trades-2022-05-13.jsonl', take: ['trade'] },
      { path: 'okx/full/okx-v5-ws-books-2022-05-13.jsonl.gz', take: ['book'] },
    ],
  },
];

/** Every real liquidation the repository holds: single prints, counted, not measured. */
const REAL_LIQUIDATIONS = [
  'tardis/binance-futures_liquidations_2020-03-13_BTCUSDT.csv',
  'tardis/bybit_liquidations_2025-02-25_PIPPINUSDT.csv',
  'tardis/okex-futures_liquidations_2023-03-30_XRP-USD-230929.csv',
];

const fixture = (rel: string): string => `${ROOT}test/fixtures/${rel}`;

function tickOf(instruments: InstrumentRegistry, venue: Venue, symbol: string): number {
  // Spot markets are not in the bundled perpetual instruments; they carry no book here either.
  return instruments.get(venue, symbol)?.tickSize ?? NaN;
}

async function realColumns(instruments: InstrumentRegistry): Promise<RealismColumn[]> {
  const out: RealismColumn[] = [];
  for (const src of REAL) {
    const streams: MarketEvent[][] = [];
    for (const f of src.files) {
      const path = fixture(f.path);
      if (!existsSync(path)) {
        console.error(`realism: ${path} is absent; ${src.label} is measured without it`);
        continue;
      }
      streams.push((await readFileEvents(path, instruments)).filter((e) => f.take.includes(e.type)));
    }
    const columns = marketColumns(src.venue, src.symbol, ...streams);
    out.push({ label: src.label, columns, facts: stylizedFacts(columns, tickOf(instruments, src.venue, src.symbol)) });
  }
  return out;
}

async function realLiquidationCount(instruments: InstrumentRegistry): Promise<string> {
  const parts: string[] = [];
  for (const rel of REAL_LIQUIDATIONS) {
    const path = fixture(rel);
    if (!existsSync(path)) continue;
    const n = (await readFileEvents(path, instruments)).filter((e) => e.type === 'liquidation').length;
    parts.push(`${n} in \`test/fixtures/${rel}\``);
  }
  return parts.join(', ');
}

/** One column per simulated venue of one run. */
async function simColumns(instruments: InstrumentRegistry, scenarios: readonly ScenarioName[], seed: number, minutes: number): Promise<RealismColumn[]> {
  const modulePath = fileURLToPath(new URL('../src/sim/simulate.ts', import.meta.url));
  if (!existsSync(modulePath)) {
    console.error('realism --sim: src/sim/simulate.ts does not exist in this checkout (the simulator is built on its own branch); run without --sim, or after the merge.');
    process.exit(2);
  }
  // Imported by path at run time: this script must typecheck and run before the simulator exists.
  const mod = (await import(modulePath)) as { simulate?: (config: SimConfig) => SimRun };
  if (typeof mod.simulate !== 'function') {
    console.error('realism --sim: src/sim/simulate.ts does not export simulate(config): SimRun (src/sim/types.ts)');
    process.exit(2);
  }
  const out: RealismColumn[] = [];
  for (const scenario of scenarios) {
    const config: SimConfig = { scenario, seed, startMs: Date.UTC(2024, 7, 8), durationMs: minutes * 60_000, symbol: 'BTC', venues: PERP_VENUES };
    const run = mod.simulate(config);
    const builders = config.venues.flatMap((v) => {
      const symbol = run.symbols[v];
      return symbol === undefined ? [] : [new MarketColumnsBuilder(v, symbol)];
    });
    for (const ev of run.events()) for (const b of builders) b.add(ev);
    for (const b of builders) {
      const columns = b.columns();
      const tick = tickOf(instruments, b.venue, b.symbol);
      if (!(tick > 0) && columns.book.length > 0) throw new Error(`realism --sim: no tick size for ${b.venue} ${b.symbol} in the bundled instruments`);
      out.push({ label: `sim ${scenario} #${seed} ${b.venue}`, columns, facts: stylizedFacts(columns, tick) });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sim: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true },
      seed: { type: 'string', default: '1' },
      minutes: { type: 'string', default: '120' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: node --import tsx scripts/realism.ts [--sim [--scenario NAME]... [--seed N] [--minutes M]]');
    console.log('Writes docs/img/sim/realism.md and docs/img/sim/*.svg: stylized facts of the real captures, and with --sim of simulate() runs (default: quiet and long-cascade, seed 1, 120 minutes).');
    return;
  }
  const scenarios = (values.scenario ?? ['quiet', 'long-cascade']) as ScenarioName[];
  for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new Error(`--scenario ${JSON.stringify(s)}: not a scenario; known: ${SCENARIOS.join(', ')}`);
  const seed = Number(values.seed);
  const minutes = Number(values.minutes);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed ${JSON.stringify(values.seed)}: expected an integer`);
  if (!(minutes > 0)) throw new Error(`--minutes ${JSON.stringify(values.minutes)}: expected a number of minutes > 0`);

  const instruments = loadBundledInstruments();
  const cols = await realColumns(instruments);
  if (values.sim) cols.push(...(await simColumns(instruments, scenarios, seed, minutes)));

  const command = values.sim ? `node --import tsx scripts/realism.ts --sim${values.scenario ? scenarios.map((s) => ` --scenario ${s}`).join('') : ''} --seed ${seed} --minutes ${minutes}` : 'node --import tsx scripts/realism.ts';
  const table = realismTable(cols);
  const md = [
    '# Realism: stylized facts, real captures' + (values.sim ? ' and simulator' : ''),
    '',
    `Written by \`${command}\` (docs/SIMULATOR.md "Realism" explains each figure). n/a = too little data for that figure.`,
    '',
    table,
    `Real liquidation prints in the repository: ${await realLiquidationCount(instruments)} (too few for any figure).`,
    '',
  ].join('\n');
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}realism.md`, md);
  // Plots read the tapes with enough prints for a distribution.
  const plotted = cols.filter((c) => c.columns.trades.length >= 1000);
  writeFileSync(`${OUT}size-ccdf.svg`, sizeCcdfSvg(plotted));
  for (const [step, name] of [[500, '500ms'], [10_000, '10s']] as const) {
    writeFileSync(`${OUT}abs-acf-${name}.svg`, absAcfSvg(plotted, step));
    writeFileSync(`${OUT}returns-${name}.svg`, returnHistogramSvg(plotted, step));
  }
  process.stdout.write(table);
  console.error(`realism: wrote ${OUT}realism.md and 5 SVG plots`);
}

await main();
