/** The `alerts:` block of the strategy config: the issue's shape, defaults, and errors naming file:line and key path. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { UsageError } from '../../src/core/errors.ts';
import { loadConfig, parseConfig } from '../../src/engine/config.ts';
import { channelsFromConfig } from '../../src/paper/alerts/channels-from-config.ts';
import { tempDir } from '../helpers/store.ts';

const ISSUE_EXAMPLE = `seed: 7
alerts:
  rules:
    - name: btc-sell-flow
      kind: flow            # flow | liquidations | signal | outcome
      side: sell
      notional: 5000000     # quote currency
      window: 1m
      venues: [binance]     # or all
  channels:
    terminal: true
    webhook: { url: "https://example.org/hook", secretEnv: ORDERFLOW_WEBHOOK_SECRET }
    telegram: { chatId: "4242", tokenEnv: ORDERFLOW_TELEGRAM_TOKEN, baseUrl: "https://api.telegram.org" }
`;

function file(text: string): string {
  const path = join(tempDir(), 'strategy.yaml');
  writeFileSync(path, text);
  return path;
}

describe('alerts config', () => {
  it('reads the shape of the issue, windows in ms and venues as a list', () => {
    const c = loadConfig(file(ISSUE_EXAMPLE));
    assert.equal(c.seed, 7);
    assert.deepEqual(c.alerts!.rules, [{ name: 'btc-sell-flow', kind: 'flow', side: 'sell', notional: 5_000_000, window: 60_000, venues: ['binance'] }]);
    assert.deepEqual(c.alerts!.channels, {
      terminal: true,
      webhook: { url: 'https://example.org/hook', secretEnv: 'ORDERFLOW_WEBHOOK_SECRET', timeoutMs: 10_000, maxAttempts: 5 },
      telegram: { chatId: '4242', tokenEnv: 'ORDERFLOW_TELEGRAM_TOKEN', baseUrl: 'https://api.telegram.org', timeoutMs: 10_000, maxAttempts: 5 },
    });
  });

  it('is off by default: no alerts block, and a block without channels sends nowhere', () => {
    assert.equal(parseConfig({}).alerts, undefined);
    const c = parseConfig({ alerts: { rules: [{ name: 'l', kind: 'liquidations', side: 'long', notional: 1e6, window: '5m' }] } });
    assert.deepEqual(c.alerts!.channels, { terminal: false });
    assert.deepEqual(c.alerts!.rules[0].venues, ['binance', 'okx', 'bybit'], 'venues default all');
    assert.equal(parseConfig({ alerts: { rules: [{ name: 'a', kind: 'flow', side: 'buy', notional: 1, window: '1m', venues: 'all' }] } }).alerts!.rules[0].venues.length, 3);
  });

  it('names file, line and key path of each mistake', () => {
    const bad = ISSUE_EXAMPLE.replace('side: sell', 'side: short').replace('window: 1m', 'window: 1 minute').replace('venues: [binance]', 'venues: [binance, kraken]');
    assert.throws(() => loadConfig(file(bad)), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /strategy\.yaml:6 alerts\.rules\.0\.side: expected buy \(aggressive buys\) or sell \(aggressive sells\)/);
      assert.match(e.message, /strategy\.yaml:8 alerts\.rules\.0\.window: expected a timeframe such as 1m/);
      assert.match(e.message, /strategy\.yaml:9 alerts\.rules\.0\.venues: expected all or a list of binance, okx, bybit, got "kraken"/);
      return true;
    });
    assert.throws(() => loadConfig(file(ISSUE_EXAMPLE.replace('kind: flow ', 'kind: flows '))), /strategy\.yaml:5 alerts\.rules\.0\.kind: Invalid discriminator value/);
    assert.throws(() => loadConfig(file(ISSUE_EXAMPLE.replace('secretEnv:', 'secret:'))), /strategy\.yaml:12 alerts\.channels\.webhook\.(secretEnv: .*expected string|secret: unknown key)/);
    assert.throws(() => loadConfig(file(ISSUE_EXAMPLE.replace('https://api.telegram.org', 'api.telegram.org'))), /strategy\.yaml:13 alerts\.channels\.telegram\.baseUrl: expected an http:\/\/ or https:\/\/ URL/);
    assert.throws(
      () => parseConfig({ alerts: { rules: [{ name: 'x', kind: 'liquidations', side: 'sell', notional: 1, window: '1m' }] } }),
      /alerts\.rules\.0\.side: expected long \(longs liquidated: forced sells\) or short/,
      'liquidations take the positions side, not buy/sell',
    );
    assert.throws(
      () => parseConfig({ alerts: { rules: [{ name: 'x', kind: 'signal' }, { name: 'x', kind: 'outcome' }] } }),
      /alerts\.rules\.1\.name: duplicate rule name "x"/,
    );
  });

  it('any value under alerts either parses or is a UsageError naming a key under alerts', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('rules', 'channels'), fc.jsonValue(), (top, key, inner) => {
        for (const alerts of [top, { [key]: inner }, { rules: [inner] }, { channels: { webhook: inner } }]) {
          try {
            parseConfig({ alerts });
          } catch (e) {
            assert.ok(e instanceof UsageError, String(e));
            assert.match(e.message, /^invalid config:\n  config alerts[.:]/);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('alert secrets', () => {
  const channels = parseConfig({ alerts: { channels: { webhook: { url: 'http://127.0.0.1:1/h', secretEnv: 'HOOK_SECRET' }, telegram: { chatId: 1, tokenEnv: 'BOT_TOKEN' } } } }).alerts!.channels;

  it('are read from the named variables at start; a missing one names the variable and its key, never a value', () => {
    assert.throws(() => channelsFromConfig(channels, { env: { HOOK_SECRET: 's3cr3t-value' } }), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.message, 'alerts.channels.telegram.tokenEnv: the environment variable BOT_TOKEN is not set (or empty); set it to the secret before starting');
      assert.ok(!e.message.includes('s3cr3t-value'));
      return true;
    });
    assert.throws(() => channelsFromConfig(channels, { env: { HOOK_SECRET: '', BOT_TOKEN: '1:x' } }), /alerts\.channels\.webhook\.secretEnv: the environment variable HOOK_SECRET is not set \(or empty\)/);
    assert.deepEqual(channelsFromConfig(channels, { env: { HOOK_SECRET: 'a', BOT_TOKEN: '1:x' } }).map((c) => c.name), ['webhook', 'telegram']);
  });
});
