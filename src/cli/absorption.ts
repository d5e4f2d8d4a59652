/**
 * `orderflow absorption`: absorption events at the realized liquidation clusters of a market.
 * Zones are the clusters found at `--zones-at` (only liquidations up to then, the cluster rule
 * from the shared cluster options); events are looked for in the trades and liquidations after it.
 */
import type { Command } from 'commander';
import { AbsorptionOperator, zonesFromClusters, type AbsorptionEvent } from '../features/absorption.ts';
import { readLiquidations } from '../store/liquidation-reader.ts';
import { Store } from '../store/store.ts';
import { feedTradesAndLiquidations } from '../query/feed.ts';
import { snapshotAt } from '../query/liquidation-snapshot.ts';
import { confirmMarketQuery } from '../query/market.ts';
import { existingHome, homeOption, marketOptions, type HomeOpts } from './common.ts';
import { isoTime, qtyText, SAMPLED_NOTE, table } from './format.ts';
import { DEFAULT_BPS, marketQuery, numberOpt, parseTime } from './options.ts';
import { clusterOptions, type ClusterOpts, parseClusterOpts } from './cluster-options.ts';
import { formatters, precisionOf, wrap } from './table.ts';

interface AbsorptionOpts extends HomeOpts, ClusterOpts {
  symbol: string;
  venues?: string;
  from?: string;
  to?: string;
  zonesAt: string;
  bps: string;
  lookback: string;
  json?: boolean;
}

export function registerAbsorption(program: Command): void {
  homeOption(
    clusterOptions(
      marketOptions(program
        .command('absorption')
        .description('absorption at liquidation clusters: heavy aggressive flow into a zone, price holds, no liquidation follows (a cascade that stopped, or a revisit)'), { fromNote: ' (also the start of the liquidation history)' })
        .requiredOption('--zones-at <time>', 'the clusters of the liquidations up to this time are the zones; events come after it')
        .option('--bps <width>', 'cluster bin width in basis points', String(DEFAULT_BPS))
        .option('--lookback <windows>', 'past 1m windows in the typical-volume median (also the warm-up)', '60')
        .option('--json', 'print {"zones":[...],"events":[...]} (NaN and Infinity as null)'),
      'zones: ',
    ),
  )
    .addHelpText(
      'after',
      `
Direction is the absorbing side: buyers absorbing selling at a zone of liquidated longs
(bullish), sellers absorbing buying at liquidated shorts (bearish). Kind: cascade-stop when
liquidations were printing in the zone on the approach and stopped, revisit when price came back
to the zone and none printed. The zones are the liquidation clusters at --zones-at, found with
the cluster options above (as in orderflow liquidations). Definitions and worked examples:
docs/FEATURES.md ("Liquidation clusters and heatmap", "Absorption events").

Examples:
  $ orderflow absorption --symbol BTC --zones-at 2024-08-08T12:00:00Z
  $ orderflow absorption --symbol BTC --zones-at 2024-08-05 --half-life 1h --cluster-multiple 10
  $ orderflow absorption --symbol XRP --zones-at 2024-11-10 --to 2024-11-12 --json`,
    )
    .action(async (opts: AbsorptionOpts) => {
      const q = marketQuery(opts);
      const zonesAt = parseTime(opts.zonesAt, '--zones-at');
      const bins = { bps: numberOpt(opts.bps, '--bps') };
      const clusters = parseClusterOpts(opts);
      const lookback = numberOpt(opts.lookback, '--lookback');
      const store = await Store.open(existingHome(opts), { readOnly: true });
      const events: AbsorptionEvent[] = [];
      let zones;
      try {
        await confirmMarketQuery(store, q);
        const liqs = await readLiquidations(store, q);
        const snap = liqs.length > 0 ? await snapshotAt(store, q, liqs, zonesAt, { bins, ...clusters }) : undefined;
        zones = snap ? zonesFromClusters(snap.clusters, { fromTs: zonesAt, bins }) : [];
        if (zones.length > 0) {
          const op = new AbsorptionOperator({ zones, lookbackWindows: lookback, warmupWindows: lookback }, (e) => events.push(e));
          await feedTradesAndLiquidations(store, q, liqs, op);
          op.flush();
        }
      } finally {
        store.close();
      }
      if (opts.json) {
        console.log(JSON.stringify({ zones, events }));
        return;
      }
      const what = q.pairs.map(([v, s]) => `${v} ${s}`).join(', ');
      console.log(`${wrap(`absorption on ${what}: ${zones.length} zones from the clusters at ${isoTime(zonesAt)}, ${events.length} events`)}\n`);
      if (events.length > 0) {
        const { price } = formatters(precisionOf(q.registry, q.pairs));
        console.log(table(
          ['known at (UTC)', 'kind', 'direction', 'zone', 'attack', 'typical', 'liq before', 'liq during', 'progress bps'],
          events.map((e) => [isoTime(e.ts), e.kind, e.direction, `${price(e.zone.low)}-${price(e.zone.high)}`, qtyText(e.attack_volume), qtyText(e.typical_volume), qtyText(e.liquidations_before), qtyText(e.liquidations_during), e.progress_bps.toFixed(1)]),
        ));
      }
      console.log(`\n${SAMPLED_NOTE}`);
    });
}
