/**
 * The dashboard's browser files, bundled in memory by esbuild when the server starts: the entry
 * src/server/web/main.ts (with lightweight-charts and the plugins) becomes `app.js`, its CSS
 * `app.css`, and src/server/web/index.html is served as `/`. Building at start (well under a
 * second) means a checkout, a compiled dist/ and an edited source all serve the same page,
 * with no second build step to forget.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface WebAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** URL path ('/', '/app.js', ...) -> file. */
export type WebAssets = ReadonlyMap<string, WebAsset>;

const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Bundles src/server/web into memory. `minify` off keeps stack traces readable in tests. */
export async function buildWebAssets(opts: { minify?: boolean } = {}): Promise<WebAssets> {
  const out = await build({
    entryPoints: { app: `${WEB_DIR}main.ts` },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: opts.minify ?? true,
    sourcemap: false,
    write: false,
    outdir: '/',
    logLevel: 'silent',
  });
  const assets = new Map<string, WebAsset>();
  assets.set('/', { body: readFileSync(`${WEB_DIR}index.html`), contentType: 'text/html; charset=utf-8' });
  for (const f of out.outputFiles) {
    const ext = f.path.slice(f.path.lastIndexOf('.'));
    assets.set(f.path, { body: Buffer.from(f.contents), contentType: TYPES[ext] ?? 'application/octet-stream' });
  }
  return assets;
}
