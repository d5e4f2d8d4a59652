/**
 * The `alerts:` block of the strategy config (docs/LIVE.md "Alerts"): rules evaluated live and
 * the channels they go to. Validated with the rest of the config (src/engine/config.ts), so its
 * errors name the file, line and key path (`strategy.yaml:14 alerts.rules.0.notional: ...`).
 * Secrets are not in the file: the channels name environment variables, read when the alerts
 * start (src/paper/alerts/channels-from-config.ts).
 *
 * Here rather than in src/paper/alerts because the config schema lives in the engine layer and
 * imports only point downward.
 */
import { z } from 'zod';
import { parseTimeframe } from '../features/timeframe.ts';

/** The perpetual venues a live rule can watch. */
export const ALERT_VENUES = ['binance', 'okx', 'bybit'] as const;

/** A window: timeframe text ('30s', '1m', '4h') or ms. */
const window = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  try {
    return parseTimeframe(v, 'window');
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^window: /, '') });
    return z.NEVER;
  }
});

/** `all` or a non-empty list of venues; kept as a list (every venue for `all`). */
const venues = z
  .unknown()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === 'all') return [...ALERT_VENUES];
    const known = (x: unknown): x is (typeof ALERT_VENUES)[number] => (ALERT_VENUES as readonly unknown[]).includes(x);
    if (Array.isArray(v) && v.length > 0 && v.every(known)) return [...new Set(v)];
    const bad = Array.isArray(v) ? v.find((x) => !known(x)) : v;
    ctx.addIssue({ code: 'custom', message: `expected all or a list of ${ALERT_VENUES.join(', ')}, got ${JSON.stringify(bad ?? v)}` });
    return z.NEVER;
  });

const name = z.string().min(1).max(100);

const flowRule = z
  .object({
    name,
    kind: z.literal('flow'),
    /** The AGGRESSOR side: `sell` = market sells hitting the bid. */
    side: z.enum(['buy', 'sell'], { error: 'expected buy (aggressive buys) or sell (aggressive sells)' }),
    /** Quote currency (USDT): price x qty summed over the window. */
    notional: z.number().positive(),
    window,
    venues,
  })
  .strict();

const liquidationRule = z
  .object({
    name,
    kind: z.literal('liquidations'),
    /**
     * The POSITIONS liquidated: `long` = longs wiped out (forced sells, event side `sell`),
     * `short` = shorts wiped out (forced buys). Not buy/sell, which readers take either way.
     */
    side: z.enum(['long', 'short'], { error: 'expected long (longs liquidated: forced sells) or short (shorts liquidated: forced buys)' }),
    notional: z.number().positive(),
    window,
    venues,
  })
  .strict();

const signalRule = z
  .object({
    name,
    kind: z.literal('signal'),
    /** Signal types to alert on ('absorption', 'divergence', ...); default every type. */
    types: z.array(z.string().min(1)).min(1).optional(),
    /** Only signals predicting this move; default both. */
    direction: z.enum(['long', 'short']).optional(),
    venues,
  })
  .strict();

/** What a resolved horizon became (docs/JOURNAL.md): `any` alerts on every resolved horizon. */
export const OUTCOME_RESULTS = ['any', 'touched', 'rejected', 'broke', 'hit', 'miss'] as const;

const outcomeRule = z
  .object({
    name,
    kind: z.literal('outcome'),
    types: z.array(z.string().min(1)).min(1).optional(),
    /** Only this horizon (e.g. 1h); default every horizon. */
    horizon: window.optional(),
    result: z.enum(OUTCOME_RESULTS).default('any'),
    venues,
  })
  .strict();

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name (letters, digits, _)');

const httpUrl = z.string().refine((u) => {
  try {
    const p = new URL(u).protocol;
    return p === 'http:' || p === 'https:';
  } catch {
    return false;
  }
}, 'expected an http:// or https:// URL');

/** Bounded retries: attempts include the first; timeouts per attempt. */
const attempts = z.number().int().min(1).max(20).default(5);
const timeoutMs = z.number().int().min(100).max(300_000).default(10_000);

export const alertsSchema = z
  .object({
    rules: z.array(z.discriminatedUnion('kind', [flowRule, liquidationRule, signalRule, outcomeRule])).default([]),
    channels: z
      .object({
        terminal: z.boolean().default(false),
        webhook: z
          .object({ url: httpUrl, secretEnv: envName, timeoutMs, maxAttempts: attempts })
          .strict()
          .optional(),
        telegram: z
          .object({
            chatId: z.union([z.string().min(1), z.number().int()]).transform(String),
            tokenEnv: envName,
            baseUrl: httpUrl.default('https://api.telegram.org'),
            timeoutMs,
            maxAttempts: attempts,
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((a, ctx) => {
    const seen = new Set<string>();
    a.rules.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name ${JSON.stringify(r.name)}` });
      seen.add(r.name);
    });
  });

export type AlertsConfig = z.output<typeof alertsSchema>;
export type AlertRuleConfig = AlertsConfig['rules'][number];
export type AlertChannelsConfig = AlertsConfig['channels'];
