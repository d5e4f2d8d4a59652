/**
 * Reading the lake from S3 or an S3-compatible store (MinIO, R2) through DuckDB's httpfs
 * extension. @duckdb/node-api links parquet, json and icu statically but not httpfs, so it must
 * be installed once on a machine with internet (`INSTALL httpfs`, into ~/.duckdb/extensions).
 *
 * Credentials: the standard AWS_* variables become a DuckDB S3 secret for this session; without
 * AWS_ACCESS_KEY_ID, DuckDB's own secrets apply (persistent ones made with CREATE PERSISTENT
 * SECRET, or the aws extension's credential chain).
 */
import { StoreError } from '../core/errors.ts';
import { sqlString } from '../store/parquet.ts';
import type { Store } from '../store/store.ts';

export function isS3(location: string): boolean {
  return /^s3:\/\//i.test(location);
}

/** The CREATE SECRET statement the AWS_* variables ask for, or undefined when they name no key. */
export function s3SecretSql(env: NodeJS.ProcessEnv): string | undefined {
  const key = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (!key) return undefined;
  if (!secret) throw new StoreError('E_LAKE_S3', 'AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or neither to use DuckDB secrets');
  const opts: string[] = ['TYPE s3', `KEY_ID ${sqlString(key)}`, `SECRET ${sqlString(secret)}`];
  if (env.AWS_SESSION_TOKEN) opts.push(`SESSION_TOKEN ${sqlString(env.AWS_SESSION_TOKEN)}`);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region) opts.push(`REGION ${sqlString(region)}`);
  // An S3-compatible server (MinIO, R2, Ceph): DuckDB wants host[:port] and whether TLS is used;
  // such servers are addressed by path (bucket in the path), not by virtual host.
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  if (endpoint) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new StoreError('E_LAKE_S3', `AWS_ENDPOINT_URL ${JSON.stringify(endpoint)} is not an http(s) URL (e.g. http://127.0.0.1:9000)`);
    }
    opts.push(`ENDPOINT ${sqlString(url.host)}`, `USE_SSL ${url.protocol === 'https:'}`, `URL_STYLE 'path'`);
  }
  return `CREATE OR REPLACE SECRET orderflow_lake (${opts.join(', ')})`;
}

/** DuckDB's own first line, under the store layer's wrapping. */
function duckdbMessage(e: unknown): string {
  const inner = e instanceof StoreError && e.cause instanceof Error ? e.cause : e;
  return (inner instanceof Error ? inner.message : String(inner)).split('\n')[0];
}

/** Load httpfs and the AWS_* credentials into `store`'s DuckDB, or say how to install httpfs. */
export async function configureS3(store: Store, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await store.run('LOAD httpfs');
  } catch (e) {
    throw new StoreError(
      'E_LAKE_S3',
      `--lake s3://... needs DuckDB's httpfs extension, which is not installed here (@duckdb/node-api does not link it in). ` +
        `Install it once on a machine with internet: node -e "require('@duckdb/node-api').DuckDBInstance.create().then(i=>i.connect()).then(c=>c.run('INSTALL httpfs'))" ` +
        `(or 'INSTALL httpfs' in the duckdb CLI of the same version), or copy httpfs.duckdb_extension into ~/.duckdb/extensions/<version>/<platform>/. ` +
        `Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION and AWS_ENDPOINT_URL (S3-compatible servers), else from DuckDB secrets. ` +
        `(DuckDB: ${duckdbMessage(e)})`,
    );
  }
  const secret = s3SecretSql(env);
  if (secret) await store.run(secret);
}
