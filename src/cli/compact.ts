/** `orderflow compact`: the lake's closed hours, each partition's sink files into one (src/lake/compact.ts). */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { compactLake, DEFAULT_COMPACT_AFTER_MS } from '../lake/compact.ts';
import { formatCount } from './format.ts';
import { numberOpt } from './options.ts';

interface CompactOpts {
  lake: string;
  olderThan: string;
  quiet?: boolean;
}

export function registerCompact(program: Command): void {
  program
    .command('compact')
    .description('compact the Parquet lake a bus sink writes: each closed hour partition\'s small files into one, in the order readers see them')
    .requiredOption('--lake <dir>', 'the lake folder (orderflow sink --to parquet:DIR)')
    .option('--older-than <hours>', 'compact hours that ended at least this long ago (no sink writes there any more: the bus keeps 72 h)', String(DEFAULT_COMPACT_AFTER_MS / 3_600_000))
    .option('--quiet', 'no line per hour')
    .addHelpText(
      'after',
      `
A lake sink writes one file per partition per group, so a busy hour holds hundreds of small files.
This rewrites every closed hour partition holding several sink files as one file
(<first seq>-<last seq>-<tag>.parquet, zstd), rows in the order --lake readers see them (time,
file name, row), every column kept. Each hour is swapped in through <lake>/_compact/ by two
renames: a reader sees the old files or the new one, and a crash leaves nothing lost or doubled
(the next compact finishes or drops what it finds there). Partitions of export --layout lake
(one data_0.parquet) are left as they are. Run it from cron, e.g. hourly (docs/SCALING.md).

Examples:
  $ orderflow compact --lake /data/lake
  $ orderflow compact --lake /data/lake --older-than 100`,
    )
    .action(async (opts: CompactOpts) => {
      const hours = numberOpt(opts.olderThan, '--older-than', 'hours, at least 1');
      if (!(hours >= 1)) throw new UsageError(`--older-than: expected hours, at least 1, got ${JSON.stringify(opts.olderThan)}`);
      const r = await compactLake(opts.lake, { olderThanMs: hours * 3_600_000, onHour: (folder, files, rows) => !opts.quiet && console.error(`compact: ${folder}: ${files} files -> 1 (${formatCount(rows)} rows)`) });
      if (r.recovered > 0) console.log(`finished ${r.recovered} interrupted compaction(s) first`);
      console.log(`compacted ${r.hours} hour partitions: ${formatCount(r.filesIn)} files into ${r.hours} (${formatCount(r.rows)} rows)`);
    });
}
