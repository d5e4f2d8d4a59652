/**
 * Start-up: `orderflow --help` needs no command module, `orderflow <cmd>` loads only `<cmd>`'s,
 * and the compiled dist/ runs only while it is the build of the sources as they are.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { build, bundledInstrumentsLiteral } from '../../scripts/build.mjs';
import { parseBundledSnapshot } from '../../src/venues/instruments.ts';
import { distIsFresh } from '../../scripts/dist-stamp.mjs';
import { addCommands, COMMANDS, requestedCommand, type CommandEntry } from '../../src/cli/commands.ts';
import { tempDir } from '../helpers/store.ts';
import { ROOT } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';

/** A copy of the table whose loaders count their calls and register a command with an option. */
function countingTable(): { table: CommandEntry[]; loaded: string[] } {
  const loaded: string[] = [];
  const table = COMMANDS.map((c) => ({
    ...c,
    async load() {
      loaded.push(c.name);
      return (program: Command) => {
        program.command(c.name).description(c.description).option('--only-when-loaded');
      };
    },
  }));
  return { table, loaded };
}

describe('command table', () => {
  it('matches what each command module registers: name, arguments, description', async () => {
    for (const c of COMMANDS) {
      const program = new Command('orderflow');
      (await c.load())(program);
      assert.equal(program.commands.length, 1, `${c.name}: registers one command`);
      const cmd = program.commands[0];
      assert.equal(cmd.name(), c.name);
      assert.equal(cmd.description(), c.description, `${c.name}: description in src/cli/commands.ts`);
      const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`)).join(' ');
      assert.equal(args, c.args, `${c.name}: arguments in src/cli/commands.ts`);
    }
  });

  it('finds the command in argv, after `help` too, and none for --help or an unknown word', () => {
    assert.equal(requestedCommand(['cvd', '--symbol', 'BTC'])?.name, 'cvd');
    assert.equal(requestedCommand(['help', 'import'])?.name, 'import');
    assert.equal(requestedCommand(['--help']), undefined);
    assert.equal(requestedCommand([]), undefined);
    assert.equal(requestedCommand(['cvdd']), undefined);
  });

  it('root help loads no command module and still lists every command with its arguments', async () => {
    const { table, loaded } = countingTable();
    const program = new Command('orderflow');
    await addCommands(program, ['--help'], table);
    assert.deepEqual(loaded, []);
    const help = program.helpInformation();
    for (const c of table) assert.match(help, new RegExp(`^  ${c.name} \\[options\\]${c.args ? ` ${c.args.replace(/[.[\]]/g, '\\$&')}` : ''} `, 'm'));
    assert.ok(!help.includes('--only-when-loaded'));
  });

  it('a command loads only its own module, so its own options show in its help', async () => {
    const { table, loaded } = countingTable();
    const program = new Command('orderflow');
    await addCommands(program, ['footprint', '--help'], table);
    assert.deepEqual(loaded, ['footprint']);
    const fp = program.commands.find((c) => c.name() === 'footprint')!;
    assert.match(fp.helpInformation(), /--only-when-loaded/);
    assert.deepEqual(program.commands.map((c) => c.name()), table.map((c) => c.name), 'order kept');
  });
});

describe('help that states a default', () => {
  it('footprint --help gives the minimum imbalance notional the operator uses', async () => {
    const { DEFAULT_IMBALANCE_NOTIONAL } = await import('../../src/features/footprint.ts');
    const program = new Command('orderflow');
    (await COMMANDS.find((c) => c.name === 'footprint')!.load())(program);
    const help = program.commands[0].helpInformation().replace(/\s+/g, ' ');
    assert.match(help, new RegExp(`--imbalance-notional <quote> .*default ${DEFAULT_IMBALANCE_NOTIONAL}\\)`));
  });
});

describe('dist build', () => {
  it('bundles the CLI so that the compiled program prints the same help as the sources and runs', async () => {
    // Inside the checkout so that external packages resolve from its node_modules.
    mkdirSync(join(ROOT, 'tmp'), { recursive: true });
    const out = mkdtempSync(join(ROOT, 'tmp', 'build-test-'));
    after(() => rmSync(out, { recursive: true, force: true }));
    const dist = join(out, 'dist');
    await build({ root: ROOT, outDir: dist });
    assert.ok(distIsFresh(ROOT, dist));
    // The backtest's worker threads run their own entry, beside main.js.
    assert.ok(existsSync(join(dist, 'cli/backtest-worker.js')));
    // Seven processes that only start and print: side by side, not one after another.
    const helps = [['--help'], ['cvd', '--help'], ['import', '--help']];
    const [margin, ...runs] = await Promise.all([
      // A command that runs end to end from the bundle, reading the instrument snapshot in src/.
      runProcess(process.execPath, [join(dist, 'cli/main.js'), 'margin', '--venue', 'binance', '--symbol', 'BTCUSDT', '--side', 'long', '--entry', '30000', '--qty', '1', '--leverage', '10']),
      ...helps.flatMap((args) => [
        runProcess(process.execPath, [join(dist, 'cli/main.js'), ...args]),
        runProcess(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { ...process.env }, ROOT),
      ]),
    ]);
    for (const [i, args] of helps.entries()) {
      const [compiled, source] = [runs[2 * i], runs[2 * i + 1]];
      assert.equal(compiled.code, 0, compiled.stderr);
      assert.equal(compiled.stdout, source.stdout, args.join(' '));
    }
    assert.equal(margin.code, 0, margin.stderr);
    assert.match(margin.stdout, /liquidation/i);
  });

  it('compiles the instrument snapshot into the exact instruments the parsers give, NaN (unpublished) kept', () => {
    const compiled = (0, eval)(`(${bundledInstrumentsLiteral()})`) as unknown;
    const parsed = parseBundledSnapshot();
    assert.deepStrictEqual(compiled, parsed);
    assert.ok(parsed.some((i) => Number.isNaN(i.minNotional)), 'an unpublished minimum is in the snapshot');
  });

  it('keeps import.meta.url-relative paths pointing into src/, and is stale once an input changes', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'src/data'), { recursive: true });
    mkdirSync(join(root, 'node_modules/fake-pkg'), { recursive: true });
    writeFileSync(join(root, 'node_modules/fake-pkg/package.json'), '{"name":"fake-pkg","version":"1.0.0","type":"module","exports":"./index.js"}\n');
    writeFileSync(join(root, 'node_modules/fake-pkg/index.js'), 'export const one = 1;\n');
    writeFileSync(
      join(root, 'src/main.ts'),
      "import { readFileSync } from 'node:fs';\nimport { one } from 'fake-pkg';\nimport { two } from './b.ts';\n" +
        "export const table = JSON.parse(readFileSync(new URL('./data/table.json', import.meta.url), 'utf8')) as { x: number };\nexport const sum: number = one + two + table.x;\n",
    );
    writeFileSync(join(root, 'src/b.ts'), 'export const two = 2;\n');
    writeFileSync(join(root, 'src/data/table.json'), '{"x":10}\n');
    const dist = join(root, 'dist');
    const rebuild = () => build({ root, entry: join(root, 'src/main.ts') });
    await rebuild();
    assert.ok(distIsFresh(root));
    const { sum } = (await import(join(dist, 'main.js'))) as { sum: number };
    assert.equal(sum, 13, 'package, module and data file all reached from the bundle');

    const later = new Date(Date.now() + 5000);
    const edit = (rel: string, text: string) => {
      writeFileSync(join(root, rel), text);
      utimesSync(join(root, rel), later, later);
    };
    edit('src/b.ts', 'export const two = 2; // edited\n');
    assert.equal(distIsFresh(root), false, 'an edited source');
    await rebuild();
    assert.ok(distIsFresh(root), 'rebuilt');
    edit('src/data/table.json', '{"x":11}\n');
    assert.equal(distIsFresh(root), false, 'an edited data file');
    await rebuild();
    edit('node_modules/fake-pkg/package.json', '{"name":"fake-pkg","version":"1.0.1","type":"module","exports":"./index.js"}\n');
    assert.equal(distIsFresh(root), false, 'a reinstalled package');
    await rebuild();
    rmSync(join(root, 'src/b.ts'));
    assert.equal(distIsFresh(root), false, 'a removed source');
    rmSync(dist, { recursive: true });
    assert.equal(distIsFresh(root), false, 'no dist');
  });
});
