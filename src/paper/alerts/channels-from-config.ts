/**
 * The configured channels, with their secrets read from the environment now (at start): a
 * missing variable stops the command before anything connects, naming the variable and the key
 * that names it, never a value.
 */
import type { AlertChannelsConfig } from '../../engine/alerts-config.ts';
import { UsageError } from '../../core/errors.ts';
import type { AlertChannel } from './channel.ts';
import { DEFAULT_BACKOFF } from './delivery.ts';
import { TelegramChannel } from './telegram.ts';
import { TerminalChannel } from './terminal.ts';
import { WebhookChannel } from './webhook.ts';

export interface ChannelOptions {
  /** Where the terminal channel writes (default stderr). */
  readonly terminal?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Tests shorten the backoff and the Telegram pacing. */
  readonly baseBackoffMs?: number;
  readonly telegramIntervalMs?: number;
}

function secret(env: NodeJS.ProcessEnv, name: string, key: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new UsageError(`${key}: the environment variable ${name} is not set (or empty); set it to the secret before starting`);
  return v;
}

export function channelsFromConfig(c: AlertChannelsConfig, opts: ChannelOptions = {}): AlertChannel[] {
  const env = opts.env ?? process.env;
  const backoff = { ...DEFAULT_BACKOFF, ...(opts.baseBackoffMs !== undefined ? { baseBackoffMs: opts.baseBackoffMs } : {}) };
  const out: AlertChannel[] = [];
  if (c.terminal) out.push(new TerminalChannel(opts.terminal));
  if (c.webhook) {
    const w = c.webhook;
    out.push(new WebhookChannel(w.url, secret(env, w.secretEnv, 'alerts.channels.webhook.secretEnv'), { ...backoff, maxAttempts: w.maxAttempts, timeoutMs: w.timeoutMs }));
  }
  if (c.telegram) {
    const t = c.telegram;
    out.push(new TelegramChannel(t.baseUrl, secret(env, t.tokenEnv, 'alerts.channels.telegram.tokenEnv'), t.chatId, { ...backoff, maxAttempts: t.maxAttempts, timeoutMs: t.timeoutMs }, { intervalMs: opts.telegramIntervalMs }));
  }
  return out;
}
