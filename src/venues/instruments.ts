/**
 * Instrument metadata for orderflow: the bundled snapshot (offline) and user-supplied files.
 *
 * The snapshot (src/venues/instruments-snapshot/<venue>.json) holds venue responses in the venues'
 * own shapes, each with its endpoint and provenance, and is parsed at load time by the same parsers
 * that read live metadata, so it exercises them. README.md in that folder says where every value
 * came from and which are our estimates; docs/INSTRUMENTS.md says how to refresh it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FileError, ParseError } from '../core/errors.ts';
import type { Venue } from '../core/events.ts';
import { InstrumentRegistry, type Instrument, type MarginTier } from '../core/instruments.ts';
import {
  looksLikeBinanceExchangeInfo,
  looksLikeBinanceLeverageBracket,
  parseBinanceExchangeInfo,
  parseBinanceLeverageBrackets,
} from './binance/instruments.ts';
import { looksLikeBybitInstrumentsInfo, looksLikeBybitRiskLimit, parseBybitInstrumentsInfo, parseBybitRiskLimits } from './bybit/instruments.ts';
import { parseWith } from './metadata.ts';
import { looksLikeOkxInstruments, looksLikeOkxPositionTiers, parseOkxInstruments, parseOkxPositionTiers, type OkxTierRow } from './okx/instruments.ts';

/** The metadata endpoints we read, as the snapshot names them (query strings may follow). */
export type MetadataEndpoint =
  | 'GET /fapi/v1/exchangeInfo'
  | 'GET /fapi/v1/leverageBracket'
  | 'GET /api/v5/public/instruments'
  | 'GET /api/v5/public/position-tiers'
  | 'GET /v5/market/instruments-info'
  | 'GET /v5/market/risk-limit';

const ENDPOINTS: Record<MetadataEndpoint, { venue: Venue; role: 'instruments' | 'tiers' }> = {
  'GET /fapi/v1/exchangeInfo': { venue: 'binance', role: 'instruments' },
  'GET /fapi/v1/leverageBracket': { venue: 'binance', role: 'tiers' },
  'GET /api/v5/public/instruments': { venue: 'okx', role: 'instruments' },
  'GET /api/v5/public/position-tiers': { venue: 'okx', role: 'tiers' },
  'GET /v5/market/instruments-info': { venue: 'bybit', role: 'instruments' },
  'GET /v5/market/risk-limit': { venue: 'bybit', role: 'tiers' },
};

/** One response in a snapshot file. */
export interface SnapshotResponse {
  /** `GET /api/v5/public/instruments?instType=SWAP`: the endpoint and the query it was called with. */
  readonly endpoint: string;
  /** Where the body came from (repository + path + commit, or "estimate: ..."). */
  readonly source: string;
  /** When the venue produced it (date), as far as the source tells. */
  readonly capturedAt: string;
  /** True when the values are ours, not a venue response (see README.md). */
  readonly estimate: boolean;
  readonly body: unknown;
}

const snapshotSchema = z.object({
  venue: z.enum(['binance', 'okx', 'bybit']),
  note: z.string().optional(),
  responses: z.array(
    z.object({
      endpoint: z.string().min(1),
      source: z.string().min(1),
      capturedAt: z.string().min(1),
      estimate: z.boolean(),
      body: z.unknown(),
    }),
  ),
});
export type SnapshotFile = z.output<typeof snapshotSchema>;

/** A decoded metadata document: the body, the endpoint it answers and where to point errors. */
interface Doc {
  readonly endpoint: MetadataEndpoint;
  readonly query: string;
  readonly body: unknown;
  /** Prefix for JSON paths in errors (`responses[3].body.`). */
  readonly prefix: string;
  readonly where: string;
}

function endpointOf(text: string, where: string, field: string): { endpoint: MetadataEndpoint; query: string } {
  const q = text.indexOf('?');
  const path = q < 0 ? text : text.slice(0, q);
  if (!(path in ENDPOINTS)) {
    throw new ParseError('E_MESSAGE', `unknown metadata endpoint; known: ${Object.keys(ENDPOINTS).join(', ')}`, field, text).at(where);
  }
  return { endpoint: path as MetadataEndpoint, query: q < 0 ? '' : text.slice(q + 1) };
}

/**
 * Turn documents into instruments: every tier document of a venue first, then its instrument
 * documents. A symbol may be defined once per venue.
 */
function instrumentsFrom(docs: readonly Doc[]): Instrument[] {
  const binanceTiers = new Map<string, MarginTier[]>();
  const bybitTiers = new Map<string, MarginTier[]>();
  const okxTiers = new Map<string, OkxTierRow[]>();
  const run = <T>(doc: Doc, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ParseError && !e.where) e.at(doc.where);
      throw e;
    }
  };
  for (const doc of docs) {
    if (ENDPOINTS[doc.endpoint].role !== 'tiers') continue;
    run(doc, () => {
      if (doc.endpoint === 'GET /fapi/v1/leverageBracket') mergeInto(binanceTiers, parseBinanceLeverageBrackets(doc.body, doc.prefix), doc);
      else if (doc.endpoint === 'GET /v5/market/risk-limit') mergeInto(bybitTiers, parseBybitRiskLimits(doc.body, doc.prefix), doc);
      else {
        const instType = new URLSearchParams(doc.query).get('instType') ?? 'SWAP';
        if (instType !== 'SWAP') {
          throw new ParseError('E_MESSAGE', 'OKX position-tiers are read for perpetual swaps only (instType=SWAP)', 'endpoint', instType);
        }
        mergeInto(okxTiers, parseOkxPositionTiers(doc.body, doc.prefix), doc);
      }
    });
  }
  const out: Instrument[] = [];
  const seen = new Map<string, string>();
  for (const doc of docs) {
    if (ENDPOINTS[doc.endpoint].role !== 'instruments') continue;
    const list = run(doc, () =>
      doc.endpoint === 'GET /fapi/v1/exchangeInfo'
        ? parseBinanceExchangeInfo(doc.body, binanceTiers, doc.prefix)
        : doc.endpoint === 'GET /v5/market/instruments-info'
          ? parseBybitInstrumentsInfo(doc.body, bybitTiers, doc.prefix)
          : parseOkxInstruments(doc.body, okxTiers, doc.prefix),
    );
    for (const inst of list) {
      const key = `${inst.venue}:${inst.symbol}`;
      const first = seen.get(key);
      if (first) throw new ParseError('E_MESSAGE', `instrument defined twice (first in ${first})`, 'symbol', inst.symbol).at(doc.where);
      seen.set(key, doc.where);
      out.push(inst);
    }
  }
  return out;
}

function mergeInto<V>(into: Map<string, V>, from: Map<string, V>, doc: Doc): void {
  for (const [k, v] of from) {
    if (into.has(k)) throw new ParseError('E_MESSAGE', 'tiers given twice for one symbol', 'symbol', k).at(doc.where);
    into.set(k, v);
  }
}

function docsOfSnapshot(file: SnapshotFile, where: string): Doc[] {
  return file.responses.map((r, i) => {
    const { endpoint, query } = endpointOf(r.endpoint, where, `responses[${i}].endpoint`);
    if (ENDPOINTS[endpoint].venue !== file.venue) {
      throw new ParseError('E_MESSAGE', `a ${ENDPOINTS[endpoint].venue} endpoint in the ${file.venue} snapshot`, `responses[${i}].endpoint`, r.endpoint).at(where);
    }
    return { endpoint, query, body: r.body, prefix: `responses[${i}].body.`, where };
  });
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FileError('E_IO', path, (e as Error).message);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ParseError('E_JSON', `invalid JSON: ${(e as Error).message}`).at(path);
  }
}

const SNAPSHOT_DIR = fileURLToPath(new URL('./instruments-snapshot/', import.meta.url));

/**
 * Parse the bundled snapshot files into instruments (every call parses them again). Callers use
 * `bundledInstruments()` from ./bundled-instruments.ts, which caches this and which a build
 * replaces by its result.
 */
export function parseBundledSnapshot(): Instrument[] {
  const docs: Doc[] = [];
  for (const name of readdirSync(SNAPSHOT_DIR).filter((n) => n.endsWith('.json')).sort()) {
    const where = `instruments-snapshot/${name}`;
    const raw = readJson(SNAPSHOT_DIR + name);
    let file: SnapshotFile;
    try {
      file = parseWith(snapshotSchema, raw, 'instrument snapshot');
    } catch (e) {
      throw e instanceof ParseError ? e.at(where) : e;
    }
    docs.push(...docsOfSnapshot(file, where));
  }
  return instrumentsFrom(docs);
}

/** Which endpoint a raw response body answers, from its shape. */
export function detectMetadata(json: unknown): MetadataEndpoint | 'snapshot' | undefined {
  if (typeof json === 'object' && json !== null && 'responses' in json && 'venue' in json) return 'snapshot';
  if (looksLikeBinanceExchangeInfo(json)) return 'GET /fapi/v1/exchangeInfo';
  if (looksLikeBinanceLeverageBracket(json)) return 'GET /fapi/v1/leverageBracket';
  if (looksLikeOkxInstruments(json)) return 'GET /api/v5/public/instruments';
  if (looksLikeOkxPositionTiers(json)) return 'GET /api/v5/public/position-tiers';
  if (looksLikeBybitInstrumentsInfo(json)) return 'GET /v5/market/instruments-info';
  if (looksLikeBybitRiskLimit(json)) return 'GET /v5/market/risk-limit';
  return undefined;
}

/**
 * User-supplied metadata files: raw responses of the six endpoints (saved with curl, see
 * docs/INSTRUMENTS.md) or files in the snapshot layout. Which endpoint a file answers is detected
 * from its shape; OKX position tiers in a raw file are taken as instType=SWAP. Tiers apply across
 * files (exchangeInfo.json + leverageBracket.json). The instruments are added to `into` (a new
 * registry by default), replacing same-named ones.
 */
export function loadInstrumentFiles(paths: readonly string[], into = new InstrumentRegistry()): InstrumentRegistry {
  const docs: Doc[] = [];
  for (const path of paths) {
    const json = readJson(path);
    const kind = detectMetadata(json);
    if (kind === undefined) {
      throw new ParseError(
        'E_MESSAGE',
        'not a venue metadata response we know: expected Binance /fapi/v1/exchangeInfo or /fapi/v1/leverageBracket, OKX /api/v5/public/instruments or /api/v5/public/position-tiers, Bybit /v5/market/instruments-info or /v5/market/risk-limit, or an orderflow snapshot file',
      ).at(path);
    }
    if (kind === 'snapshot') {
      let file: SnapshotFile;
      try {
        file = parseWith(snapshotSchema, json, 'instrument snapshot');
      } catch (e) {
        throw e instanceof ParseError ? e.at(path) : e;
      }
      docs.push(...docsOfSnapshot(file, path));
    } else {
      docs.push({ endpoint: kind, query: '', body: json, prefix: '', where: path });
    }
  }
  for (const inst of instrumentsFrom(docs)) into.add(inst);
  return into;
}

/**
 * The bundled snapshot's responses of one venue as stored (venue shapes, with endpoint and
 * provenance): what the loopback servers serve as their own instrument lists.
 */
export function bundledSnapshotResponses(venue: 'binance' | 'okx' | 'bybit'): SnapshotResponse[] {
  const name = `${venue}.json`;
  return parseWith(snapshotSchema, readJson(SNAPSHOT_DIR + name), 'instrument snapshot').responses;
}
