import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { UsageError } from '../../src/core/errors.ts';
import { defaultConfig, loadConfig, parseConfig, sessionsOf } from '../../src/engine/config.ts';
import { DEFAULT_SESSIONS } from '../../src/features/timeframe.ts';
import { tempDir } from '../helpers/store.ts';

/**
 * "Billion laughs": `levels` anchors, each a list of `width` aliases of the previous one, after
 * `lead` ordinary lines. The last level expands to width^levels strings.
 */
function aliasBomb(levels: number, width: number, lead: number): { text: string; firstBigLine: number } {
  const lines = ['exit:', '  targetR: 2'].slice(0, lead);
  lines.push(`l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`);
  for (let i = 1; i <= levels; i++) lines.push(`l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]`);
  return { text: `${lines.join('\n')}\n`, firstBigLine: lead + 1 };
}

describe('config: hostile YAML', () => {
  it('refuses an alias bomb with file:line, fast, instead of expanding it', () => {
    const path = join(tempDir(), 'bomb.yaml');
    writeFileSync(path, aliasBomb(9, 9, 0).text);
    const started = performance.now();
    assert.throws(() => loadConfig(path), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, /^.*bomb\.yaml:\d+ aliases expand past the limit of 100 \(a YAML alias bomb\?\)/);
      return true;
    });
    assert.ok(performance.now() - started < 2000);
  });

  it('names the line of the entry where the expansion passes the limit', () => {
    const path = join(tempDir(), 'bomb.yaml');
    writeFileSync(path, aliasBomb(6, 10, 2).text);
    // l0 (line 3) and l1 (line 4: 10 aliases of 10) are within the limit; l2 (line 5) is not.
    assert.throws(() => loadConfig(path), /bomb\.yaml:5 aliases expand/);
  });

  it('any alias nesting gives a config error naming the file and a line, never a crash', () => {
    const dir = tempDir();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2, max: 12 }), fc.integer({ min: 0, max: 2 }), (levels, width, lead) => {
        const path = join(dir, 'c.yaml');
        const { text } = aliasBomb(levels, width, lead);
        writeFileSync(path, text);
        assert.throws(() => loadConfig(path), (e: unknown) => {
          assert.ok(e instanceof UsageError, String(e));
          // Within the limit the anchors are unknown keys; past it, the bomb is named.
          assert.match(e.message, /c\.yaml:\d+ /);
          return true;
        });
      }),
      { numRuns: 40 },
    );
  });

  it('a config nested deeper than the parser can follow is a file:line error', () => {
    const path = join(tempDir(), 'deep.yaml');
    writeFileSync(path, `risk: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`);
    assert.throws(() => loadConfig(path), (e: unknown) => e instanceof UsageError && /deep\.yaml:1 /.test(e.message));
  });
});

describe('config: sessions', () => {
  it('default market-time sessions; a file sets its own windows with zones, wrapping allowed', () => {
    const dir = tempDir();
    const file = join(dir, 'sessions.yaml');
    writeFileSync(file, 'sessions:\n  - { name: NY, start: "09:30", end: "16:00", timeZone: America/New_York }\n  - { name: Night, start: "22:00", end: "06:00" }\n');
    const c = loadConfig(file);
    assert.deepEqual(sessionsOf(c), [
      { name: 'NY', timeZone: 'America/New_York', startMin: 570, endMin: 960 },
      { name: 'Night', timeZone: 'UTC', startMin: 1320, endMin: 360 },
    ]);
    assert.deepEqual(sessionsOf(defaultConfig()), DEFAULT_SESSIONS);
    // A parsed config parses again to itself (walk-forward sweeps re-validate it).
    assert.deepEqual(parseConfig(c), c);
  });

  it('an unknown zone or an empty window is an error naming the file, line and key', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'seed: 1\nsessions:\n  - { name: X, start: "09:00", end: "09:00" }\n  - { name: Y, start: "09:00", end: "10:00", timeZone: Mars/Olympus }\n');
    assert.throws(() => loadConfig(file), (e: Error) => e instanceof UsageError && /bad\.yaml:3 sessions\.0: .*end != start/.test(e.message) && /bad\.yaml:4 sessions\.1: .*unknown time zone "Mars\/Olympus"/.test(e.message));
  });
});
