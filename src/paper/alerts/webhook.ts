/**
 * The webhook channel: each alert as a JSON POST, signed so the receiver can tell it came from
 * us: `X-Orderflow-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the
 * secret>`. Receivers compute the same over the raw body (before any JSON parsing) and compare
 * in constant time. 5xx, 429, timeouts and connection errors are retried with backoff, or after
 * the response's Retry-After seconds (src/paper/alerts/delivery.ts); other 4xx are not (the
 * request itself is wrong).
 */
import { createHmac } from 'node:crypto';
import { printable } from '../../core/printable.ts';
import type { Alert } from './alert.ts';
import type { AlertChannel } from './channel.ts';
import { classifyHttp, postWithRetries, warmFetch, type RetryPolicy, type SendOutcome } from './delivery.ts';
import { redactor } from './redact.ts';

export const SIGNATURE_HEADER = 'x-orderflow-signature';

/** `sha256=<hex>` of `body` keyed with `secret`. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The JSON body of one alert. */
export function webhookBody(a: Alert): string {
  return JSON.stringify({ source: 'orderflow', rule: a.rule, kind: a.kind, ts: a.ts, time: new Date(a.ts).toISOString(), text: a.text, fields: a.fields });
}

export class WebhookChannel implements AlertChannel {
  readonly name = 'webhook';
  private readonly redact: (t: string) => string;

  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly policy: RetryPolicy,
  ) {
    warmFetch();
    this.redact = redactor([secret]);
  }

  send(alert: Alert, signal?: AbortSignal): Promise<SendOutcome> {
    const body = webhookBody(alert);
    return postWithRetries({
      url: this.url,
      body,
      headers: { [SIGNATURE_HEADER]: signature(this.secret, body) },
      policy: this.policy,
      classify: (status, text, headers) => classifyHttp(status, printable(text.slice(0, 200)).trim(), headers.get('retry-after')),
      redact: this.redact,
      signal,
    });
  }
}
