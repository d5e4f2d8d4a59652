import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { printable } from '../core/printable.ts';
import { VENUES, type Venue } from '../core/events.ts';
import { baseAssetOf, symbolsMatching } from '../core/instruments.ts';
import { closestSymbols } from '../core/symbols.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { LIQUIDATION_SAMPLING } from '../venues/liquidation-sampling.ts';
import { deadLetterSummary } from '../store/dead-letter.ts';
import { instrumentSources } from '../store/instruments-table.ts';
import { Store } from '../store/store.ts';
import { summarize } from '../store/summary.ts';
import { existingHome, homeOption, type HomeOpts, selfCommand } from './common.ts';
import { isoTime, table } from './format.ts';

interface InfoOpts extends HomeOpts {
  json?: boolean;
  minGap: string;
  symbol?: string;
}

export function registerInfo(program: Command): void {
  homeOption(
    program
      .command('info')
      .description('what the store holds: venues, symbols, event counts, time ranges, gaps per day')
      .option('--json', 'print {"datasets":[...],"gaps":[...],"dead_letter":N,"instruments":[{venue,source,count,fetched_at}],...,"recordingNow":n} for scripts (times in epoch ms)')
      .option('--min-gap <seconds>', 'a stretch without trades longer than this is a gap', '300')
      .option('--symbol <symbol>', 'only this market: a venue-native symbol or a base asset (AKT)'),
  )
    .addHelpText(
      'after',
      `
Gaps: "time" = no trade for longer than --min-gap; "id" = Binance trade ids missing inside one
imported file; "recorded" = disconnects and resyncs logged by the recorder, and events it
dropped when the store could not keep up (reason "store-backpressure"). While \`orderflow
record\` writes the store, info shows what it has committed up to its last flush.
Dead letters: rows the recorder could not store, in <home>/dead-letter/<date>.jsonl with the
raw frame and the reason (--json: "dead_letter" count and "dead_letter_files").

Examples:
  $ orderflow info
  $ orderflow info --json | jq '.datasets[] | select(.type=="trade")'
  $ ORDERFLOW_HOME=~/of orderflow info --min-gap 60
  $ orderflow info --symbol AKT        # AKTUSDT on Binance and Bybit, AKT-USDT-SWAP on OKX`,
    )
    .action(async (opts: InfoOpts) => {
      const minGap = Number(opts.minGap);
      if (!(minGap > 0)) throw new UsageError(`--min-gap: expected seconds > 0, got ${JSON.stringify(opts.minGap)}`);
      const store = await Store.open(existingHome(opts), { readOnly: true });
      try {
        const all = await summarize(store, minGap * 1000);
        const keep = opts.symbol === undefined ? undefined : new Set(symbolsMatching(loadBundledInstruments(), opts.symbol, VENUES));
        const mine = <T extends { symbol: string }>(list: T[]) => (keep ? list.filter((x) => keep.has(x.symbol)) : list);
        // A session still `recording` is interrupted unless the process writing the store is recording it now.
        const recording = await store.rows<{ id: number }>("SELECT import_id AS id FROM imports WHERE format = 'record' AND status = 'recording'");
        const live = new Set(store.liveImports);
        const recordingNow = recording.filter((r) => live.has(r.id)).length;
        const s = { ...all, datasets: mine(all.datasets), gaps: mine(all.gaps), gapDays: mine(all.gapDays), other: mine(all.other), interrupted: recording.length - recordingNow };
        const dead = await deadLetterSummary(store.home, keep);
        const instruments = await instrumentSources(store);
        if (opts.json) {
          const liquidationSampling = Object.fromEntries([...new Set(s.datasets.filter((d) => d.type === 'liquidation').map((d) => d.venue))].map((v) => [v, LIQUIDATION_SAMPLING[v as Venue] ?? null]));
          console.log(printable(JSON.stringify({ datasets: s.datasets, gaps: s.gaps, gapDays: s.gapDays, other: s.other, imports: s.imports, liquidationSampling, interruptedRecordings: s.interrupted, recordingNow, dead_letter: dead.rows, dead_letter_files: dead.files, instruments })));
          return;
        }
        console.log(`store ${store.path}: ${s.imports} files imported\n`);
        if (store.writerPid !== undefined) console.log(`being written by PID ${store.writerPid}${recordingNow ? ' (orderflow record)' : ''}: showing what it has committed up to its last flush\n`);
        if (s.datasets.length === 0) {
          const close = keep ? closestSymbols(opts.symbol!, all.datasets.flatMap((d) => [d.symbol, baseAssetOf(d.symbol)])) : [];
          console.log(keep ? printable(`nothing stored for ${opts.symbol} (${[...keep].join(', ')})${close.length > 0 ? `; did you mean ${close.join(', ')}?` : ''}`) : `no events yet: run ${selfCommand()} import <files>`);
          if (dead.rows > 0) console.log(`${dead.rows} row(s) the recorder could not store (with their frame and reason) in ${dead.files.join(', ')}`);
          return;
        }
        console.log(table(
          ['venue', 'symbol', 'type', 'count', 'first (UTC)', 'last (UTC)'],
          s.datasets.map((d) => [d.venue, d.symbol, d.type, String(d.count), isoTime(d.first_ts), isoTime(d.last_ts)]),
        ));
        if (instruments.length > 0) {
          const from = (r: (typeof instruments)[number]) =>
            r.source === 'venue' ? `from the venue, fetched ${isoTime(r.fetched_at!)} UTC` : r.source === 'snapshot' ? 'from the bundled snapshot' : 'of unknown origin';
          console.log(`\ninstruments: ${instruments.map((r) => `${r.venue} ${r.count} ${from(r)}`).join('; ')}`);
        }
        const liqVenues = [...new Set(s.datasets.filter((d) => d.type === 'liquidation').map((d) => d.venue))];
        if (liqVenues.length > 0) {
          console.log('\nliquidations are sampled by the venues:');
          for (const v of liqVenues) console.log(`  ${v}: ${LIQUIDATION_SAMPLING[v as Venue] ?? 'sampling not documented: treat counts as lower bounds'}`);
        }
        if (dead.rows > 0) console.log(`\n${dead.rows} row(s) the recorder could not store (with their frame and reason) in ${dead.files.join(', ')}`);
        if (s.interrupted > 0) console.log(`\n${s.interrupted} recorder session(s) ended without a clean stop (crash or kill): their data up to the last flush is kept`);
        if (s.other.length > 0) {
          console.log('\nbars and depth bands:');
          console.log(table(['venue', 'symbol', 'what', 'count', 'first (UTC)', 'last (UTC)'], s.other.map((o) => [o.venue, o.symbol, o.detail, String(o.count), isoTime(o.first_ts), isoTime(o.last_ts)])));
        }
        console.log(`\ngaps (no trade for > ${minGap}s, missing Binance trade ids, recorder gaps), per UTC day:`);
        if (s.gapDays.length === 0) console.log('none');
        else console.log(table(['date', 'venue', 'symbol', 'gaps', 'missing s', 'missing ids'], s.gapDays.map((d) => [d.date, d.venue, d.symbol, String(d.gaps), d.missing_seconds.toFixed(0), String(d.missing_ids)])));
      } finally {
        store.close();
      }
    });
}
