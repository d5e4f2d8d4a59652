/**
 * The backtest / seed-strategy configuration: a YAML or JSON file validated with zod, every
 * parameter with a default (docs/BACKTEST.md lists them). Errors name the file, the line (YAML
 * and JSON alike: both are read with the yaml parser, which keeps node positions) and the key
 * path: `strategy.yaml:12 risk.leverage: expected number, received string`.
 */
import { readFileSync } from 'node:fs';
import { isMap, isNode, isPair, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { FileError, UsageError } from '../core/errors.ts';
import { ABSORPTION_KINDS } from '../features/absorption.ts';
import { alertsSchema } from './alerts-config.ts';
import { CLUSTER_DEFAULTS } from '../features/liquidations.ts';
import { DEFAULT_SESSIONS, parseTimeframe, sessionWindow, type Session } from '../features/timeframe.ts';

/** A duration: '5m', '1h', '250ms'? No: whole units of the timeframe syntax ('30s', '5m', '4h', '1d') or a number of ms. */
const duration = z.union([z.number().positive(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  try {
    return parseTimeframe(v, 'duration');
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^duration: /, '') });
    return z.NEVER;
  }
});

const venueName = z.enum(['binance', 'okx', 'bybit']);

const sessionRule = z
  .object({
    /** Entries allowed in this session. */
    enabled: z.boolean().default(true),
    /** Multiplies the risk per trade (0.5 = half size). */
    sizeMultiplier: z.number().min(0).max(10).default(1),
    /** Multiplies absorption's attack-volume threshold for signals in this session. */
    thresholdMultiplier: z.number().positive().max(100).default(1),
  })
  .strict();

/**
 * A session window in its market's time zone (docs/FEATURES.md "Sessions"). Kept as written (the
 * config re-validates itself, e.g. per walk-forward sweep); `sessionsOf` gives the Session values.
 */
const sessionWindowSchema = z
  .object({
    name: z.string().min(1),
    /** HH:MM wall time in `timeZone`; an end at or before the start wraps past midnight. */
    start: z.string(),
    end: z.string(),
    /** IANA zone (Asia/Tokyo, Europe/London, America/New_York) or UTC. */
    timeZone: z.string().default('UTC'),
  })
  .strict()
  .superRefine((w, ctx) => {
    try {
      sessionWindow(w.name, w.start, w.end, w.timeZone, 'session');
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^session: /, '') });
    }
  });

const hhmm = (min: number) => `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;

/** The config's session windows as Session values. */
export function sessionsOf(c: BacktestConfig): Session[] {
  return c.sessions.map((w) => sessionWindow(w.name, w.start, w.end, w.timeZone, 'sessions'));
}

export const configSchema = z
  .object({
    strategy: z.literal('seed').default('seed'),
    /** Seed of every random draw (null model, tie-breaks): same data + same seed = same run. */
    seed: z.number().int().min(0).default(1),
    /**
     * Events before a run's start are read for this long first, to warm the features up (CVD,
     * zones, absorption's typical volume, divergence's history); nothing is traded, journaled or
     * measured before the start. Applies to --from, every walk-forward window and every null run.
     * 'auto': what the active features need (src/engine/warmup.ts); a shorter explicit one warns.
     */
    warmup: z.union([z.literal('auto'), z.literal(0), duration]).default('auto'),
    /**
     * The trading sessions that name a signal's session (entry.sessions rules, the journal): the
     * one that opened most recently. Default Asia 09:00-18:00 Asia/Tokyo, Europe 08:00-16:30
     * Europe/London, US 09:30-16:00 America/New_York.
     */
    sessions: z
      .array(sessionWindowSchema)
      .min(1)
      .default(() => DEFAULT_SESSIONS.map((s) => ({ name: s.name, start: hhmm(s.startMin), end: hhmm(s.endMin), timeZone: s.timeZone }))),
    execution: z
      .object({
        /** Where orders go; default the first venue of the run. */
        venue: venueName.optional(),
        /** Decision to arrival at the venue. */
        latencyMs: z.number().min(0).max(60_000).default(150),
        /** Market orders without a usable book fill at the next trade price, this much worse. */
        slippageBps: z.number().min(0).max(1000).default(2),
        /** Walk the recorded book for market orders when the venue has one. */
        useBook: z.boolean().default(true),
        /** A limit order fills when a trade goes through its price ('through') or reaches it ('touch'). */
        limitFill: z.enum(['through', 'touch']).default('through'),
        /** An entry not filled this long after its decision is cancelled (stale). */
        staleAfter: duration.default(5_000),
      })
      .strict()
      .refine((e) => e.staleAfter > e.latencyMs, {
        path: ['staleAfter'],
        message: 'must be longer than execution.latencyMs: every entry would go stale before it reached the venue',
      })
      .prefault({}),
    costs: z
      .object({
        fees: z.boolean().default(true),
        funding: z.boolean().default(true),
        slippage: z.boolean().default(true),
        /** Funding rate per interval when none is recorded (0.0001 = 0.01%). */
        fundingRate: z.number().min(-0.05).max(0.05).default(0.0001),
        fundingIntervalHours: z.number().int().min(1).max(24).default(8),
      })
      .strict()
      .prefault({}),
    risk: z
      .object({
        initialEquity: z.number().positive().default(10_000),
        /** isolated: the position risks its own margin (notional / leverage); cross: the whole wallet backs it (and is lost on liquidation). */
        marginMode: z.enum(['isolated', 'cross']).default('isolated'),
        leverage: z.number().min(1).max(125).default(3),
        maxLeverage: z
          .object({ binance: z.number().min(1).max(125).default(10), okx: z.number().min(1).max(125).default(10), bybit: z.number().min(1).max(125).default(20) })
          .strict()
          .prefault({}),
        /** Percent of equity lost if the stop is hit. */
        riskPerTradePct: z.number().positive().max(10).default(0.5),
        /** Open notional at most this percent of equity. */
        maxExposurePct: z.number().positive().max(10_000).default(300),
        /** No new entry for the rest of the UTC day once the day's realized loss reaches this percent of the day's opening equity. */
        dailyLossLimitPct: z.number().positive().max(100).default(3),
      })
      .strict()
      .prefault({}),
    signals: z
      .object({
        /** Liquidation cluster / predicted level bins. */
        bps: z.number().positive().max(1000).default(10),
        /** The realized cluster rule (docs/FEATURES.md "Liquidation clusters and heatmap"), the defaults of the liquidation map. */
        clusters: z
          .object({
            halfLife: duration.default(CLUSTER_DEFAULTS.halfLifeMs),
            medianMultiple: z.number().min(0).max(1000).default(CLUSTER_DEFAULTS.medianMultiple),
            windowBins: z.number().int().min(0).max(10_000).default(CLUSTER_DEFAULTS.windowBins),
            binMultiple: z.number().min(0).max(1e6).default(CLUSTER_DEFAULTS.binMultiple),
            clusterMultiple: z.number().min(0).max(1e6).default(CLUSTER_DEFAULTS.clusterMultiple),
            minIntensity: z.number().min(0).default(CLUSTER_DEFAULTS.minIntensity),
          })
          .strict()
          .prefault({}),
        /** Zones re-snapshotted this often. */
        zonesEvery: duration.default(3_600_000),
        absorption: z
          .object({
            enabled: z.boolean().default(true),
            /** Which kinds may open trades: 'cascade-stop' (liquidations printed on the approach and stopped), 'revisit' (price back at an old zone, none printed). */
            kinds: z.array(z.enum(ABSORPTION_KINDS)).min(1).default([...ABSORPTION_KINDS]),
            volumeMultiple: z.number().min(0).default(2),
            maxProgressBps: z.number().default(5),
            lookbackWindows: z.number().int().min(1).max(10_000).default(60),
          })
          .strict()
          .prefault({}),
        divergence: z
          .object({
            enabled: z.boolean().default(true),
            /** 'fade': buying that does not lift price is absorbed by passive sellers: go short (and the mirror). 'follow': trade with the flow. */
            mode: z.enum(['fade', 'follow']).default('fade'),
            /** Divergence timeframes that may open a trade. */
            timeframes: z.array(duration).min(1).default([900_000, 3_600_000]),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    entry: z
      .object({
        /** The last closed 1h size-weighted delta must not oppose the trade. */
        requireLargeFlow: z.boolean().default(true),
        /** Skip when the last closed 5m cross-venue window flags disagreement. */
        vetoOnVenueDisagree: z.boolean().default(true),
        /** Skip when walls on the trade's side were lately pulled as price came to them (bait) and none was consumed. */
        vetoOnBaitOnly: z.boolean().default(true),
        /** Per session rules, by session name (Asia, Europe, US by default). */
        sessions: z.record(z.string(), sessionRule).default({}),
        /** No new entry this soon after the last one (one position at a time besides). */
        cooldown: duration.default(300_000),
      })
      .strict()
      .prefault({}),
    exit: z
      .object({
        /** Stop this far beyond the zone's far edge (absorption entries). */
        stopBufferBps: z.number().min(0).max(5000).default(15),
        /** Stop distance of entries without a zone (divergence). */
        divergenceStopBps: z.number().positive().max(5000).default(60),
        /** Take profit at this multiple of the stop distance; 0 = no target. */
        targetR: z.number().min(0).max(100).default(2),
        /** Close after this long whatever happens. */
        timeStop: duration.default(4 * 3_600_000),
      })
      .strict()
      .prefault({}),
    journal: z
      .object({ horizons: z.array(duration).min(1).default([300_000, 900_000, 3_600_000, 4 * 3_600_000]) })
      .strict()
      .prefault({}),
    nullModel: z
      .object({
        /** Runs on null signals; 0 = none. */
        seeds: z.number().int().min(0).max(1000).default(20),
        kind: z.enum(['shuffled_times', 'random_levels']).default('shuffled_times'),
      })
      .strict()
      .prefault({}),
    walkForward: z
      .object({
        inSample: duration.default(7 * 86_400_000),
        outOfSample: duration.default(2 * 86_400_000),
        /** Parameter grid: dotted config path -> values, e.g. { "exit.targetR": [1.5, 2, 3] }. */
        sweep: z.record(z.string(), z.array(z.union([z.number(), z.string(), z.boolean()])).min(1)).default({}),
        /** In-sample score that picks the parameters. */
        score: z.enum(['netReturn', 'sharpe', 'profitFactor']).default('netReturn'),
      })
      .strict()
      .optional(),
    /** Live alert rules and channels (watch, record, paper; docs/LIVE.md "Alerts"); the backtest ignores them. */
    alerts: alertsSchema.optional(),
  })
  .strict();

export type BacktestConfig = z.output<typeof configSchema>;

/** Defaults only (what a run uses without a config file). */
export function defaultConfig(): BacktestConfig {
  return configSchema.parse({});
}

/** Validate an object (from a file or a test); `where` names it in errors. Lines come from `lineOf` when known. */
export function parseConfig(raw: unknown, where = 'config', lineOf?: (path: readonly PropertyKey[]) => number | undefined): BacktestConfig {
  const r = configSchema.safeParse(raw ?? {});
  if (!r.success) {
    const lines = r.error.issues.slice(0, 8).flatMap((i) => {
      // An unknown key is reported at its own line, one per key.
      const unknown = i.code === 'unrecognized_keys' ? i.keys : [];
      const items = unknown.length > 0 ? unknown.map((k) => ({ path: [...i.path, k], message: 'unknown key (a typo? docs/BACKTEST.md lists every key)' })) : [{ path: i.path, message: i.message }];
      return items.map(({ path, message }) => {
        const line = lineOf?.(path);
        const key = path.length ? path.map(String).join('.') : '(top level)';
        return `${where}${line ? `:${line}` : ''} ${key}: ${message}`;
      });
    });
    throw new UsageError(`invalid config:\n  ${lines.join('\n  ')}`);
  }
  const c = r.data;
  const venue = c.execution.venue;
  if (venue && c.risk.leverage > c.risk.maxLeverage[venue]) {
    throw new UsageError(`${where} risk.leverage: ${c.risk.leverage}x is above the ${venue} cap risk.maxLeverage.${venue} = ${c.risk.maxLeverage[venue]}x`);
  }
  return c;
}

/** Read and validate a YAML or JSON config file. */
export function loadConfig(file: string): BacktestConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FileError('E_IO', file, `cannot read the config: ${(e as Error).message}`);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new UsageError(`${file}:${lc.linePos(e.pos[0]).line} ${e.message.split('\n')[0]}`);
  }
  const lineOf = (path: readonly PropertyKey[]) => {
    // The deepest node that exists on the path (a missing key points at its parent).
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return parseConfig(configValue(doc, lc, file), file, lineOf);
}

/**
 * How far YAML aliases may expand (the yaml library's measure: alias uses x nodes behind them).
 * A real config uses a few anchors at most; "billion laughs" (aliases of aliases of lists)
 * would otherwise expand to gigabytes.
 */
const MAX_ALIAS_COUNT = 100;

/** The document as plain values; an alias bomb is a config error at the line where it explodes. */
function configValue(doc: Document.Parsed, lc: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    // Convert the top-level entries one at a time: the first that fails holds the bomb.
    let line = 1;
    const items = isMap(doc.contents) || isSeq(doc.contents) ? doc.contents.items : [];
    for (const item of items) {
      const node = (isPair(item) ? item.value : item) as Node | null;
      try {
        node?.toJS(doc, { maxAliasCount: MAX_ALIAS_COUNT });
      } catch {
        const at = (isPair(item) && isNode(item.key) ? item.key : node)?.range?.[0];
        if (at !== undefined) line = lc.linePos(at).line;
        break;
      }
    }
    throw new UsageError(`${file}:${line} aliases expand past the limit of ${MAX_ALIAS_COUNT} (a YAML alias bomb?); write the values out instead`);
  }
}

/** A copy of `c` with the dotted path set to `value` (walk-forward sweeps), re-validated. */
export function withParam(c: BacktestConfig, path: string, value: unknown): BacktestConfig {
  const copy = structuredClone(c) as Record<string, unknown>;
  const keys = path.split('.');
  let o = copy;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null) throw new UsageError(`walkForward.sweep: ${path} is not a config path`);
    o = o[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if (!(last in o)) throw new UsageError(`walkForward.sweep: ${path} is not a config path`);
  o[last] = value;
  return parseConfig(copy, `walkForward.sweep ${path}=${JSON.stringify(value)}`);
}
