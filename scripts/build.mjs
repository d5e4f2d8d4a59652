/**
 * `npm run build` (and `prepare`, so `npm ci` / `npm install` run it): bundle the CLI into dist/
 * with esbuild, so that a start reads a handful of files instead of compiling hundreds of
 * TypeScript and package modules. `src/cli/main.ts` is the entry; each command's lazy `import()`
 * becomes its own chunk, loaded only when that command runs. Packages are bundled too, except
 * DuckDB's native bindings and tsx (used to load a user's TypeScript strategy).
 *
 * Chunks sit in dist/cli/, so `import.meta.url` in a source file is rewritten to that file's own
 * URL in src/: paths relative to it (the instrument snapshot, samples/, packages resolved with
 * createRequire) mean the same compiled or not, and data is read from src/ where it lives.
 *
 * The build goes to a fresh folder renamed onto dist/, and the stamp bin/orderflow checks
 * (scripts/dist-stamp.mjs) is written last: an interrupted build leaves no dist that looks fresh.
 *
 *   node scripts/build.mjs [--out <dir>]
 */
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAMP_FILE } from './dist-stamp.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const posix = (p) => p.split(sep).join('/');

/** Every file under `dir`. */
function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** `[path relative to root, mtimeMs, size]`: what the stamp compares. */
function fileState(root, path) {
  const st = statSync(path);
  return [posix(relative(root, path)), st.mtimeMs, st.size];
}

/** `node_modules/@scope/name/lib/x.js` -> `node_modules/@scope/name/package.json`. */
function packageJson(rel) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(rel);
  if (!m) throw new Error(`build: bundled file outside src/ and node_modules/: ${rel}`);
  return `${m[1]}/package.json`;
}

/** `import.meta.url` in a file of `srcDir` -> that file's URL, computed from the chunk's. */
function sourceUrls(srcDir, chunkDir) {
  return {
    name: 'source-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!args.path.startsWith(srcDir + sep)) return undefined;
        let text = readFileSync(args.path, 'utf8');
        if (text.includes('import.meta.url')) {
          const rel = JSON.stringify(posix(relative(chunkDir, args.path)));
          text = text.replaceAll('import.meta.url', `new URL(${rel}, import.meta.url).href`);
        }
        return { contents: text, loader: 'ts' };
      });
    },
  };
}

/**
 * Bundle `entry` into `outDir`. The stamp lists every source under `srcDir` (taken before the
 * build, so an edit during it makes dist stale), this script, and the package.json of every
 * package bundled, with its mtime and size.
 * @returns {Promise<{ inputs: number, ms: number }>}
 */
export async function build({ root = ROOT, srcDir = join(root, 'src'), entry = join(srcDir, 'cli/main.ts'), outDir = join(root, 'dist') } = {}) {
  const { build: esbuild } = await import('esbuild');
  const t0 = Date.now();
  const sources = walk(srcDir).map((f) => fileState(root, f));
  const self = fileURLToPath(import.meta.url);
  if (!relative(root, self).startsWith('..')) sources.push(fileState(root, self));
  // The chunks' folder once renamed into place: `import.meta.url`s are relative to it.
  const chunkDir = join(outDir, posix(relative(srcDir, dirname(entry))));
  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    const r = await esbuild({
      entryPoints: [entry],
      outdir: join(tmp, relative(outDir, chunkDir)),
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: ['@duckdb/node-bindings', 'tsx', 'tsx/*'],
      // Packages written as CommonJS call require(): give the ESM chunks one.
      banner: { js: "import { createRequire as __orderflowRequire } from 'node:module';\nconst require = __orderflowRequire(import.meta.url);" },
      plugins: [sourceUrls(resolve(srcDir), chunkDir)],
      metafile: true,
      logLevel: 'warning',
    });
    const srcRel = posix(relative(root, srcDir)) + '/';
    // A package is stamped by its package.json, which npm rewrites on every install of it.
    const packages = [...new Set(Object.keys(r.metafile.inputs).map((p) => posix(relative(root, resolve(p)))).filter((p) => !p.startsWith(srcRel)).map(packageJson))]
      .map((p) => fileState(root, join(root, p)));
    const inputs = [...sources, ...packages].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    writeFileSync(join(tmp, STAMP_FILE), `${JSON.stringify({ inputs })}\n`);
    rmSync(outDir, { recursive: true, force: true });
    renameSync(tmp, outDir);
    return { inputs: inputs.length, ms: Date.now() - t0 };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const outDir = i >= 0 ? resolve(process.argv[i + 1]) : undefined;
  const r = await build(outDir ? { outDir } : {});
  console.error(`orderflow: built ${relative(process.cwd(), outDir ?? join(ROOT, 'dist')) || '.'} from ${r.inputs} files in ${r.ms} ms`);
}
