/**
 * The dashboard's token: required when the server listens beyond loopback. A request carries it
 * as `Authorization: Bearer <token>`, as the `orderflow_token` cookie, or (the first page load,
 * which then sets the cookie so the page's own fetches and websocket carry it) as `?token=`.
 * Compared in constant time; never logged (see redactUrl).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../core/errors.ts';

export const TOKEN_COOKIE = 'orderflow_token';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host);
}

/** The token to enforce: none on loopback without one; a UsageError for a wider bind without one. */
export function requiredToken(host: string, token: string | undefined): string | undefined {
  if (token !== undefined && token.trim() === '') throw new UsageError('--token: empty token');
  if (token === undefined && !isLoopback(host)) {
    throw new UsageError(`--host ${host} listens beyond this machine: pass --token <secret> (or set ORDERFLOW_TOKEN) so only holders of the token can read the store`);
  }
  return token;
}

/** Equal length digests first: timingSafeEqual needs equal lengths, and the compare must not leak the length. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/** The token a request presents, from the header, the cookie or the query (in that order). */
export function presentedToken(headers: { authorization?: string; cookie?: string }, query: unknown): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined && /^Bearer /i.test(auth)) return auth.slice(7).trim();
  const cookie = cookieValue(headers.cookie, TOKEN_COOKIE);
  if (cookie !== undefined) return cookie;
  const q = (query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' ? q : undefined;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The Set-Cookie header for a page load that presented the token in its URL. */
export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

/** A URL with any `token` query value replaced, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}
