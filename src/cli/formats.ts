import type { Command } from 'commander';
import { allFormats } from '../venues/formats.ts';
import { table } from './progress.ts';

export function registerFormats(program: Command): void {
  program
    .command('formats')
    .description('list the file formats `orderflow import` reads (ids for --format)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const formats = allFormats();
      if (opts.json) {
        console.log(JSON.stringify(formats.map((f) => ({ id: f.id, venue: f.venue, description: f.description }))));
        return;
      }
      console.log(table(['id', 'venue', 'what'], formats.map((f) => [f.id, f.venue, f.description])));
    });
}
