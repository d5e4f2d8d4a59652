/**
 * The Telegram channel: Bot API `POST {baseUrl}/bot<token>/sendMessage` with `{chat_id, text}`
 * (https://core.telegram.org/bots/api#sendmessage).
 *
 * - Pacing per chat, as the Bot FAQ asks ("avoid sending more than one message per second" in a
 *   chat; "not more than 20 messages per minute to the same group",
 *   https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): one request
 *   to a chat at a time, the next 1 s after the previous answer (3 s for a group: a negative
 *   chat id). Kept per chat id for the whole process, so two channels to one chat share it.
 * - HTTP 429: the body's `parameters.retry_after` seconds are waited before the retry
 *   (https://core.telegram.org/bots/api#responseparameters); 5xx, timeouts and connection errors
 *   are retried with backoff; other errors (401 bad token, 400 chat not found) are not.
 * - The token is in the URL and nowhere else: every error and status text is redacted.
 */
import { printable } from '../../core/printable.ts';
import type { Alert } from './alert.ts';
import type { AlertChannel } from './channel.ts';
import { postWithRetries, sleep, warmFetch, type AttemptResult, type RetryPolicy, type SendOutcome } from './delivery.ts';
import { redactor } from './redact.ts';

export const DEFAULT_TELEGRAM_BASE_URL = 'https://api.telegram.org';
/** Telegram refuses longer texts ("message is too long"). */
const MAX_TEXT = 4096;

/**
 * Per chat, across the process: when it may get its next message (epoch ms), and the tail of
 * the line of requests waiting for it (one request to a chat at a time).
 */
const nextSendAt = new Map<string, number>();
const chatLine = new Map<string, Promise<void>>();

/** Spacing between messages to one chat: groups (negative ids) 20/min, others 1/s. */
export function chatIntervalMs(chatId: string): number {
  return chatId.startsWith('-') ? 3000 : 1000;
}

/** What the Bot API answers (every method): `{ok, result}` or `{ok: false, error_code, description, parameters}`. */
interface BotApiResponse {
  ok?: boolean;
  description?: string;
  parameters?: { retry_after?: number };
}

export function classifyTelegram(status: number, body: string): AttemptResult {
  let parsed: BotApiResponse | undefined;
  try {
    parsed = JSON.parse(body) as BotApiResponse;
  } catch {
    parsed = undefined;
  }
  if (status >= 200 && status < 300 && parsed?.ok === true) return { kind: 'ok', status };
  const detail = printable((parsed?.description ?? body).slice(0, 200)).trim();
  const error = `HTTP ${status}${detail ? ` ${detail}` : ''}`;
  if (status === 429) {
    const after = parsed?.parameters?.retry_after;
    return { kind: 'retry', status, error, waitMs: typeof after === 'number' && after >= 0 ? after * 1000 : undefined };
  }
  if (status >= 500) return { kind: 'retry', status, error };
  return { kind: 'fail', status, error };
}

export class TelegramChannel implements AlertChannel {
  readonly name = 'telegram';
  private readonly url: string;
  private readonly redact: (t: string) => string;
  private readonly intervalMs: number;

  constructor(
    baseUrl: string,
    token: string,
    private readonly chatId: string,
    private readonly policy: RetryPolicy,
    opts: { intervalMs?: number } = {},
  ) {
    this.url = `${baseUrl.replace(/\/+$/, '')}/bot${token}/sendMessage`;
    warmFetch();
    this.redact = redactor([token]);
    this.intervalMs = opts.intervalMs ?? chatIntervalMs(chatId);
  }

  send(alert: Alert, signal?: AbortSignal): Promise<SendOutcome> {
    const text = alert.text.length > MAX_TEXT ? `${alert.text.slice(0, MAX_TEXT - 3)}...` : alert.text;
    return postWithRetries({
      url: this.url,
      body: JSON.stringify({ chat_id: this.chatId, text }),
      policy: this.policy,
      classify: (status, body) => {
        const r = classifyTelegram(status, body);
        // Flood control is per chat: every channel to this chat waits it out, not only this one.
        if (r.kind === 'retry' && r.waitMs !== undefined) nextSendAt.set(this.chatId, Math.max(nextSendAt.get(this.chatId) ?? 0, Date.now() + r.waitMs));
        return r;
      },
      redact: this.redact,
      signal,
      paced: (attempt) => this.paced(attempt, signal),
    });
  }

  /**
   * One request to this chat at a time, the next one `intervalMs` after the previous one's
   * response: spacing measured from the answer, not from the send, holds at Telegram's end
   * whatever the network delay of each request.
   */
  private async paced<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const before = chatLine.get(this.chatId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = before.then(() => mine);
    chatLine.set(this.chatId, tail);
    try {
      await before;
      for (;;) {
        const wait = (nextSendAt.get(this.chatId) ?? 0) - Date.now();
        if (wait <= 0 || signal?.aborted) break;
        await sleep(wait, signal);
      }
      return await attempt();
    } finally {
      nextSendAt.set(this.chatId, Math.max(nextSendAt.get(this.chatId) ?? 0, Date.now() + this.intervalMs));
      release();
      if (chatLine.get(this.chatId) === tail) chatLine.delete(this.chatId);
    }
  }
}
