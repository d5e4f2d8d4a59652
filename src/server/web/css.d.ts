/** esbuild bundles CSS imported from main.ts into app.css; the import has no value. */
declare module '*.css';
