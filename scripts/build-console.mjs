// Bundles the web console (web/console: Preact + socket.io-client) into
// dist/web/console, which the server serves at /console (src/console). Part
// of `npm run build`: everything the page loads is built here, nothing is
// fetched from elsewhere at run time.
import { context } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'web', 'console');
const out = join(root, 'dist', 'web', 'console');

const watch = process.argv.includes('--watch');

mkdirSync(out, { recursive: true });
for (const file of ['index.html', 'console.css', 'favicon.svg']) {
  copyFileSync(join(source, file), join(out, file));
}
const bundle = await context({
  entryPoints: [join(source, 'main.tsx')],
  bundle: true,
  outfile: join(out, 'console.js'),
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'none',
  logLevel: watch ? 'info' : 'warning',
});
if (watch) {
  // npm run start:dev: rebuilds the bundle on change (index.html and the CSS are copied at start).
  await bundle.watch();
} else {
  await bundle.rebuild();
  await bundle.dispose();
}
