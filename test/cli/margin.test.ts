/** `orderflow margin`: in-process through commander, and once as a user runs it (exit status). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerMargin } from '../../src/cli/margin.ts';
import { UsageError } from '../../src/core/errors.ts';
import { ROOT } from '../helpers/paths.ts';

const DIR = mkdtempSync(join(tmpdir(), 'orderflow-margin-'));
after(() => rmSync(DIR, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(DIR, name);
  writeFileSync(path, text);
  return path;
}

/** Run `orderflow margin ...args` in-process; stdout lines joined. */
async function margin(...args: string[]): Promise<string> {
  const program = new Command('orderflow').exitOverride();
  registerMargin(program);
  const lines: string[] = [];
  const { log } = console;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    await program.parseAsync(['margin', ...args], { from: 'user' });
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

async function marginJson(...args: string[]): Promise<Record<string, unknown>> {
  return JSON.parse(await margin(...args, '--json')) as Record<string, unknown>;
}

async function usageError(args: string[], message: RegExp): Promise<void> {
  await assert.rejects(margin(...args), (e: Error) => {
    assert.ok(e instanceof UsageError, `${e.name}: ${e.message}`);
    assert.match(e.message, message);
    return true;
  });
}

const BTC_10X = ['--venue', 'binance', '--symbol', 'BTCUSDT', '--side', 'long', '--entry', '30000', '--qty', '2', '--leverage', '10'];

describe('orderflow margin', () => {
  it('prints the isolated figures with the bracket used (--json, camelCase keys)', async () => {
    const r = await marginJson(...BTC_10X);
    // 60,000 USDT notional: bracket 2 (0.5%, 50). LP = (6,000 + 50 - 60,000) / (2 x 0.005 - 2).
    assert.deepEqual(
      [r.initialMargin, r.maintenanceMarginRate, r.maintenanceAmount, r.maintenanceMargin, r.bankruptcyPrice, r.roundTripFees, r.mark, r.unrealizedPnl],
      [6_000, 0.005, 50, 250, 27_000, 60, null, 0],
    );
    assert.equal((r.liquidationPrice as number).toFixed(2), '27110.55');
    assert.deepEqual(r.tier, { source: 'tier', number: 2, maintenanceMarginRate: 0.005, maintenanceAmount: 50, floor: 50_000, cap: 600_000, maxLeverage: 100, unit: 'quote', basis: 60_000 });
    const text = await margin(...BTC_10X);
    assert.match(text, /maintenance tier\s+bracket 2 \(notional 50,000 to 600,000, max 100x\)/);
    assert.match(text, /liquidation price\s+27,110\.55/);
  });

  it('accepts any spelling of the symbol, the maker fee and a mark price', async () => {
    const r = await marginJson('--venue', 'okx', '--symbol', 'btc', '--side', 'short', '--entry', '60000', '--qty', '1', '--leverage', '20', '--mark', '61000', '--maker');
    assert.deepEqual([r.symbol, r.contracts, r.feeKind, r.unrealizedPnl, r.openFee], ['BTC-USDT-SWAP', 100, 'maker', -1_000, 12]);
    assert.equal((r.closeFee as number).toFixed(2), '12.20'); // 61,000 x 0.02%
    // (60,000 + 3,000) / (1 + 0.004 + 0.0005)
    assert.equal((r.liquidationPrice as number).toFixed(2), '62717.77');
  });

  it("reproduces Bybit's isolated example (1 BTC long at 20,000, 50x: 19,700) and Binance's with --mmr/--maint-amount (1,114.78)", async () => {
    const bybit = await marginJson('--venue', 'bybit', '--symbol', 'BTCUSDT', '--side', 'long', '--entry', '20000', '--qty', '1', '--leverage', '50');
    assert.equal(bybit.liquidationPrice, 19_700);
    const eth = await marginJson('--venue', 'binance', '--symbol', 'ETHUSDT', '--side', 'long', '--entry', '1456.84', '--qty', '3683.979', '--leverage', '5', '--wallet', '1535443.01', '--mmr', '0.1', '--maint-amount', '135365');
    assert.equal((eth.liquidationPrice as number).toFixed(2), '1114.78');
    assert.equal((eth.tier as { source: string }).source, 'override');
  });

  it('takes the isolated margin instead of a leverage, as the exchanges\' examples give it, and reports the leverage it implies', async () => {
    const bybit = await marginJson('--venue', 'bybit', '--symbol', 'BTCUSDT', '--side', 'long', '--entry', '20000', '--qty', '1', '--wallet', '400');
    assert.deepEqual([bybit.liquidationPrice, bybit.leverage, bybit.effectiveLeverage, bybit.leverageImplied, bybit.initialMargin], [19_700, 50, 50, true, 400]);
    const eth = ['--venue', 'binance', '--symbol', 'ETHUSDT', '--side', 'long', '--entry', '1456.84', '--qty', '3683.979', '--wallet', '1535443.01', '--mmr', '0.1', '--maint-amount', '135365'];
    const implied = await marginJson(...eth);
    assert.equal((implied.liquidationPrice as number).toFixed(2), '1114.78');
    assert.equal((implied.leverage as number).toFixed(4), ((3683.979 * 1456.84) / 1535443.01).toFixed(4));
    assert.match(await margin(...eth), /leverage\s+3\.4954x \(notional \/ position margin; no --leverage given/);
    // With a leverage too, the margin added shows as a lower effective leverage.
    const both = await marginJson('--venue', 'bybit', '--symbol', 'BTCUSDT', '--side', 'long', '--entry', '20000', '--qty', '1', '--leverage', '50', '--wallet', '800');
    assert.deepEqual([both.leverage, both.effectiveLeverage, both.leverageImplied], [50, 25, false]);
    // A margin larger than the notional is 1x with margin added; one too small names --wallet.
    assert.equal((await marginJson('--venue', 'bybit', '--symbol', 'BTCUSDT', '--side', 'long', '--entry', '20000', '--qty', '1', '--wallet', '30000')).leverage, 1);
    await usageError(['--venue', 'bybit', '--symbol', 'BTCUSDT', '--side', 'long', '--entry', '20000', '--qty', '1', '--wallet', '100'], /^--wallet 100 implies leverage 200x, above the 100x maximum of bybit BTCUSDT; give a larger --wallet$/);
    await usageError(['--venue', 'bybit', '--symbol', 'BTCUSDT', '--side', 'long', '--entry', '20000', '--qty', '1'], /^--leverage: give the leverage, or the isolated position margin with --wallet/);
    await usageError(['--venue', 'bybit', '--symbol', 'BTCUSDT', '--side', 'long', '--entry', '20000', '--qty', '1', '--mode', 'cross', '--wallet', '5000'], /^--leverage: required with --mode cross/);
  });

  it("reproduces Binance's cross example through --portfolio (ETHUSDT 1,153.26 with the BTCUSDT leg)", async () => {
    const portfolio = file('btc-leg.json', JSON.stringify([{ symbol: 'BTCUSDT', side: 'long', qty: 109.488, entry: 32481.98, mark: 31967.27, mmr: 0.025, maintAmount: 16300 }]));
    const args = ['--venue', 'binance', '--symbol', 'ETH', '--side', 'long', '--entry', '1456.84', '--qty', '3683.979', '--leverage', '5'];
    const r = await marginJson(...args, '--mode', 'cross', '--wallet', '1535443.01', '--mmr', '0.1', '--maint-amount', '135365', '--portfolio', portfolio);
    assert.equal((r.liquidationPrice as number).toFixed(2), '1153.26');
    assert.equal((r.othersMaintenance as number).toFixed(5), '71200.81144');
    assert.equal((r.othersUnrealizedPnl as number).toFixed(2), '-56354.57');
    // And the BTCUSDT leg's own LP, the ETHUSDT leg now in the portfolio: 26,316.89.
    const eth = file('eth-leg.json', JSON.stringify([{ symbol: 'ETHUSDT', side: 'long', qty: 3683.979, entry: 1456.84, mark: 1335.18, mmr: 0.1, maintAmount: 135365 }]));
    const btc = await marginJson('--venue', 'binance', '--symbol', 'BTCUSDT', '--side', 'long', '--entry', '32481.98', '--qty', '109.488', '--leverage', '5', '--mode', 'cross', '--wallet', '1535443.01', '--mmr', '0.025', '--maint-amount', '16300', '--portfolio', eth);
    assert.equal((btc.liquidationPrice as number).toFixed(2), '26316.89');
  });

  it('takes a portfolio leg without mmr from its bundled tiers at its mark', async () => {
    const portfolio = file('bundled.json', JSON.stringify([{ symbol: 'eth', side: 'short', qty: 10, entry: 3000, mark: 3100 }]));
    const r = await marginJson(...BTC_10X, '--mode', 'cross', '--wallet', '10000', '--portfolio', portfolio);
    // 31,000 USDT notional: ETHUSDT bracket 1 (0.4%, 0) -> 124; UPnL -1,000.
    assert.deepEqual([r.othersMaintenance, r.othersUnrealizedPnl], [124, -1_000]);
    // 10,000 - 1,000 - 124 + 2 (P - 30,000) = 2 x 0.005 P - 50, bracket 2 (54,000 notional at P).
    assert.equal((r.liquidationPrice as number).toFixed(4), ((10_000 - 1_000 - 124 + 50 - 60_000) / (0.01 - 2)).toFixed(4));
  });

  it('refuses bad portfolio files, naming the file and the bad key or index', async () => {
    const cross = [...BTC_10X, '--mode', 'cross', '--wallet', '10000', '--portfolio'];
    const bad = file('bad.json', '[{"symbol": "ETHUSDT",');
    await usageError([...cross, bad], /--portfolio .*bad\.json: not valid JSON/);
    const missing = file('missing.json', JSON.stringify([{ symbol: 'ETHUSDT', side: 'long', qty: 1, entry: 3000 }]));
    await usageError([...cross, missing], /missing\.json: \[0\]\.mark: /);
    const negative = file('negative.json', JSON.stringify([{ symbol: 'ETHUSDT', side: 'long', qty: 1, entry: 3000, mark: 3000 }, { symbol: 'XRPUSDT', side: 'short', qty: -5, entry: 1, mark: 1, mmr: 0.01 }]));
    await usageError([...cross, negative], /negative\.json: \[1\]\.qty: Too small/);
    const typo = file('typo.json', JSON.stringify([{ symbol: 'ETHUSDT', side: 'long', qty: 1, entry: 3000, mark: 3000, maint_amount: 5 }]));
    await usageError([...cross, typo], /typo\.json: \[0\]\.maint_amount: Unrecognized key/);
    const notArray = file('object.json', JSON.stringify({ symbol: 'ETHUSDT' }));
    await usageError([...cross, notArray], /object\.json: \(top level\): .*expected array/);
    const unknown = file('unknown.json', JSON.stringify([{ symbol: 'NOPEUSDT', side: 'long', qty: 1, entry: 1, mark: 1 }]));
    await usageError([...cross, unknown], /unknown\.json: \[0\]\.symbol: binance has no instrument "NOPEUSDT"; give \[0\]\.mmr/);
    const itself = file('itself.json', JSON.stringify([{ symbol: 'BTC', side: 'long', qty: 1, entry: 1, mark: 1, mmr: 0.01 }]));
    await usageError([...cross, itself], /itself\.json: \[0\]\.symbol: BTCUSDT is the position itself/);
    await usageError([...cross, join(DIR, 'absent.json')], /absent\.json: cannot read/);
  });

  it('refuses bad options with the option named', async () => {
    const without = (flag: string) => {
      const i = BTC_10X.indexOf(flag);
      return [...BTC_10X.slice(0, i), ...BTC_10X.slice(i + 2)];
    };
    await usageError([...without('--qty'), '--qty', '-2'], /--qty: expected a quantity > 0 in base units, got "-2"/);
    await usageError([...without('--entry'), '--entry', 'abc'], /--entry: expected a price > 0/);
    await usageError([...without('--leverage'), '--leverage', '110'], /^--leverage: leverage 110x is above the 100x maximum of binance BTCUSDT bracket 2/);
    // Money in messages is rounded: not 70110.28745100001.
    await usageError(['--venue', 'binance', '--symbol', 'BTCUSDT', '--side', 'long', '--entry', '30000.123', '--qty', '2.337', '--leverage', '124'],
      /bracket 2 \(notional 50,000 to 600,000\), where a position of 70,110\.29 notional falls$/);
    await usageError([...without('--qty'), '--qty', '100000.3'], /^--qty: the position's notional 3,000,009,000 at entry is beyond the last bracket of binance BTCUSDT \(cap 1,800,000,000\)$/);
    await usageError([...without('--venue'), '--venue', 'kraken'], /--venue: expected one of binance, okx, bybit/);
    await usageError([...without('--side'), '--side', 'buy'], /--side: expected long or short/);
    await usageError([...without('--symbol'), '--symbol', 'NOPE-USDT-SWAP'], /--symbol: binance has no instrument "NOPE-USDT-SWAP"/);
    await usageError([...BTC_10X, '--mode', 'cross'], /--wallet: the wallet balance is required with --mode cross/);
    await usageError([...BTC_10X, '--portfolio', 'x.json'], /--portfolio: other positions share a cross wallet only; add --mode cross/);
    await usageError([...BTC_10X, '--maint-amount', '5'], /--maint-amount: give --mmr with it/);
    await usageError([...BTC_10X, '--mmr', '1.5'], /--mmr: expected a maintenance margin rate in \[0, 1\)/);
    await usageError(['--venue', 'okx', '--symbol', 'ETH-USDT-SWAP', '--side', 'long', '--entry', '3000', '--qty', '1', '--leverage', '10'], /no maintenance tiers in its metadata; give the maintenance margin rate with --mmr \(and the maintenance amount with --maint-amount\)/);
  });

  it('exits 2 with one line on a usage error, and documents itself in --help', () => {
    const bin = join(ROOT, 'bin/orderflow');
    const bad = spawnSync(bin, ['margin', ...BTC_10X.slice(0, -4), '--qty', '-1', '--leverage', '10'], { encoding: 'utf8' });
    assert.equal(bad.status, 2, bad.stderr);
    assert.equal(bad.stderr.trim(), 'orderflow: --qty: expected a quantity > 0 in base units, got "-1"');
    const help = spawnSync(bin, ['margin', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /BASE units/);
    assert.match(help.stdout, /docs\/MARGIN\.md/);
    assert.match(help.stdout, /Examples:\n {2}\$ orderflow margin --venue binance/);
  });
});
