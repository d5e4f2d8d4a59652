/**
 * Connecting to the bus: a `nats://host:port` URL (several, comma-separated, for a cluster),
 * with errors that say what is wrong: a bad URL, a server that cannot be reached, a server
 * without JetStream. Once connected, the client reconnects by itself for as long as it runs.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { BusError } from './errors.ts';

export interface Bus {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly url: string;
}

/** The servers of a `--bus` value; E_BUS_URL names what is wrong. */
export function parseBusUrl(url: string): string[] {
  const servers = url.split(',').map((s) => s.trim());
  for (const s of servers) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new BusError('E_BUS_URL', `--bus: ${JSON.stringify(s)} is not a URL; expected nats://HOST:PORT`);
    }
    if (u.protocol !== 'nats:') throw new BusError('E_BUS_URL', `--bus: ${JSON.stringify(s)} is not a nats:// URL; expected nats://HOST:PORT`);
    if (!u.hostname) throw new BusError('E_BUS_URL', `--bus: ${JSON.stringify(s)} has no host; expected nats://HOST:PORT`);
  }
  return servers;
}

export async function connectBus(url: string, name: string): Promise<Bus> {
  const servers = parseBusUrl(url);
  let nc: NatsConnection;
  try {
    // Reconnect forever once connected: a bus restart must not end a recorder or a sink.
    nc = await connect({ servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  } catch (e) {
    throw new BusError('E_BUS_CONNECT', `cannot reach the NATS server at ${url}: ${(e as Error).message}`);
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5000 });
    return { nc, jsm, url };
  } catch (e) {
    await nc.close().catch(() => {});
    throw new BusError('E_BUS_JETSTREAM', `the NATS server at ${url} has no JetStream (start it with -js): ${(e as Error).message}`);
  }
}
