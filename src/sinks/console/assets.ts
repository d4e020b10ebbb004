import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  type: string;
}

const PAGE_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'alert-list.js': 'text/javascript; charset=utf-8',
  'alert-graph.js': 'text/javascript; charset=utf-8',
  'live-chart.js': 'text/javascript; charset=utf-8',
  'feed.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/**
 * The console page and the browser builds it uses, read once at start-up from this folder and from
 * node_modules: everything is served by Vigil, nothing from a CDN. Keys are URL paths.
 */
export function loadAssets(): Map<string, Asset> {
  const here = dirname(fileURLToPath(import.meta.url));
  const require = createRequire(import.meta.url);
  const out = new Map<string, Asset>();
  for (const [name, type] of Object.entries(PAGE_FILES)) out.set(`/assets/${name}`, { body: readFileSync(join(here, 'page', name)), type });
  out.set('/', out.get('/assets/index.html')!);
  const js = 'text/javascript; charset=utf-8';
  out.set('/vendor/graphology.umd.min.js', { body: readFileSync(join(dirname(require.resolve('graphology')), 'graphology.umd.min.js')), type: js });
  out.set('/vendor/msgpack.min.js', { body: readFileSync(join(dirname(require.resolve('@msgpack/msgpack')), '..', 'dist.umd', 'msgpack.min.js')), type: js });
  return out;
}
