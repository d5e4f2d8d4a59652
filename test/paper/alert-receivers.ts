/**
 * Loopback HTTP servers (127.0.0.1:0) playing the other end of the alert channels: a webhook
 * receiver that verifies the signature as a real one must (HMAC of the raw body bytes, constant
 * time compare), and the Telegram Bot API's sendMessage with its real response shapes
 * (https://core.telegram.org/bots/api#making-requests: `{"ok":true,"result":Message}` or
 * `{"ok":false,"error_code":...,"description":...,"parameters":{"retry_after":N}}`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

/** `respond` answers the nth request (0-based); returning 'hang' never answers. */
export async function receiver(respond: (req: Received, n: number, res: ServerResponse) => 'hang' | void): Promise<Receiver> {
  const received: Received[] = [];
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { at: performance.now(), method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      respond(r, received.length - 1, res);
    });
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** What a webhook receiver does first: the signature over the exact bytes received. */
export function signatureValid(secret: string, r: Received): boolean {
  const header = r.headers['x-orderflow-signature'];
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(r.body).digest();
  const given = Buffer.from(header.slice(7), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** sendMessage's success answer: the Message sent. */
export function telegramOk(res: ServerResponse, chatId: string, text: string, messageId: number): void {
  json(res, 200, { ok: true, result: { message_id: messageId, from: { id: 777000111, is_bot: true, first_name: 'orderflow', username: 'orderflow_bot' }, chat: { id: Number(chatId), first_name: 'Trader', type: 'private' }, date: Math.floor(Date.now() / 1000), text } });
}

export function telegramTooMany(res: ServerResponse, retryAfter: number): void {
  json(res, 429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } });
}

export function telegramError(res: ServerResponse, status: number, description: string): void {
  json(res, status, { ok: false, error_code: status, description });
}
