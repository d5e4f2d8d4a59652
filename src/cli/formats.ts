import type { Command } from 'commander';
import type { FileFormat } from '../core/format.ts';
import { allFormats } from '../venues/formats.ts';
import { table } from './format.ts';

/** Formats whose rows name their own exchange (Tardis) list every venue they map to. */
function venuesOf(f: FileFormat): string {
  const many = (f as FileFormat & { venues?: readonly string[] }).venues;
  return many ? many.join(',') : f.venue;
}

export function registerFormats(program: Command): void {
  program
    .command('formats')
    .description('list the file formats `orderflow import` reads (ids for --format)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Formats are detected from the file name and the first line; pass an id to 'import --format' to
force one. How each maps onto orderflow's events: docs/NORMALIZATION.md.

Examples:
  $ orderflow formats
  $ orderflow formats --json | jq -r '.[].id'
  $ orderflow import BTCUSDT-1m-2024-08-08.zip --format binance-um-markPriceKlines`,
    )
    .action((opts: { json?: boolean }) => {
      const formats = allFormats();
      if (opts.json) {
        console.log(JSON.stringify(formats.map((f) => ({ id: f.id, venues: venuesOf(f).split(','), description: f.description }))));
        return;
      }
      console.log(table(['id', 'venues', 'what'], formats.map((f) => [f.id, venuesOf(f), f.description])));
    });
}
