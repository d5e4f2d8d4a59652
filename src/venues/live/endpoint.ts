/**
 * Endpoint bases: config first, then `ORDERFLOW_<VENUE>_WS_URL` / `ORDERFLOW_<VENUE>_REST_URL`,
 * then the venue's public default. A base is scheme + host + port (`ws://127.0.0.1:9443`); each
 * client appends its venue's documented paths, so any tool can point a command at another server
 * (the loopback mock servers, a proxy, a testnet).
 */
import { UsageError } from '../../core/errors.ts';

export type EndpointKind = 'ws' | 'rest';

export function endpointBase(envName: string, kind: EndpointKind, fallback: string, configured?: string): string {
  const key = `ORDERFLOW_${envName}_${kind.toUpperCase()}_URL`;
  const raw = configured ?? process.env[key] ?? fallback;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`${configured !== undefined ? `${kind} URL` : key}: not a URL: ${JSON.stringify(raw)}`);
  }
  const schemes = kind === 'ws' ? ['ws:', 'wss:'] : ['http:', 'https:'];
  if (!schemes.includes(u.protocol)) throw new UsageError(`${configured !== undefined ? `${kind} URL` : key}: expected ${schemes.map((s) => `${s}//`).join(' or ')}, got ${JSON.stringify(raw)}`);
  return raw.replace(/\/+$/, '');
}
