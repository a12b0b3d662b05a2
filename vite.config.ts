/**
 * The web app (index.html, src/web): `npm start` (dev server), `npm run build` (static site in
 * dist-web/), `npm run preview` (serves dist-web/).
 *
 * Both servers send the cross-origin isolation headers that WebAssembly threads need, and a
 * Content-Security-Policy that keeps every request on this origin (see docs/WEB.md for what a
 * static host must send). ONNX Runtime's WebAssembly, the models and the emoji pack are served
 * under ort/, models/ and emoji/, from node_modules and the repository in development and
 * copied into dist-web/ by the build, which then writes the service worker (dist-web/sw.js) that
 * keeps every file of the site for offline use.
 */

import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { defaultClientConditions, defineConfig, type Connect, type Plugin } from 'vite';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/** Cross-origin isolation (SharedArrayBuffer, so WebAssembly threads) and a same-origin CSP. */
export const WEB_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; style-src 'self'; object-src 'none'; base-uri 'self'; form-action 'none'",
};

/** The models the app loads (src/web/shared/assets.ts); the int8 classifier variant is not one. */
const SERVED_MODELS = [
  'face-detector.onnx',
  'mtcnn-pnet.onnx',
  'mtcnn-rnet.onnx',
  'mtcnn-onet.onnx',
  'face-landmarks.onnx',
  'expression.onnx',
];

/** What the app fetches at run time: URL folder -> source folder and the files in it. */
const RUNTIME_FILES: { url: string; dir: string; files: (name: string) => boolean }[] = [
  {
    url: 'ort/',
    dir: 'node_modules/onnxruntime-web/dist',
    files: (n) =>
      n === 'ort-wasm-simd-threaded.jsep.mjs' || n === 'ort-wasm-simd-threaded.jsep.wasm',
  },
  {
    url: 'models/',
    dir: 'models',
    files: (n) => SERVED_MODELS.includes(n),
  },
  {
    url: 'emoji/',
    dir: 'assets/emoji',
    files: (n) =>
      n.endsWith('.png') || ['keypoints.json', 'NOTICE', 'LICENSE-GRAPHICS'].includes(n),
  },
];

const CONTENT_TYPES: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** The service worker's code; the build writes it to dist-web/sw.js after the file list. */
const SERVICE_WORKER_SOURCE = 'src/web/sw/service-worker.js';
const SERVICE_WORKER_FILE = 'sw.js';

/**
 * Serves RUNTIME_FILES in dev from their sources; on build, copies them into the output and then
 * writes the service worker for the whole output.
 */
function runtimeFiles(): Plugin {
  let outDir = '';
  return {
    name: 'emoji-mask-runtime-files',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(serveRuntimeFiles(server.config.base));
    },
    async writeBundle() {
      for (const { url, dir, files } of RUNTIME_FILES) {
        const target = path.join(outDir, url);
        await mkdir(target, { recursive: true });
        for (const name of (await readdir(path.join(ROOT, dir))).filter(files)) {
          await copyFile(path.join(ROOT, dir, name), path.join(target, name));
        }
      }
      await writeServiceWorker(outDir);
    },
  };
}

/**
 * Writes `outDir`/sw.js: service-worker.js after a header with every file in `outDir` (URLs
 * relative to sw.js, sorted) and a version hashed from their paths and contents and the worker's
 * code, so that any change to the site gives a new cache and the browser a new worker to install.
 */
async function writeServiceWorker(outDir: string): Promise<void> {
  const source = await readFile(path.join(ROOT, SERVICE_WORKER_SOURCE), 'utf8');
  const files = (await filesUnder(outDir)).filter((file) => file !== SERVICE_WORKER_FILE).sort();
  const hash = createHash('sha256').update(source);
  for (const file of files) {
    const digest = createHash('sha256')
      .update(await readFile(path.join(outDir, file)))
      .digest('hex');
    hash.update(`${file}\0${digest}\n`);
  }
  const build = { version: hash.digest('hex').slice(0, 16), files: files.map(encodeURI) };
  const header =
    `// Written by the build (vite.config.ts) from ${SERVICE_WORKER_SOURCE}: the site's ` +
    `${files.length} files and their version.\n` +
    `const BUILD = ${JSON.stringify(build, null, 2)};\n\n`;
  await writeFile(path.join(outDir, SERVICE_WORKER_FILE), header + source);
}

/** Every file under `dir`, as a path relative to it with `/` separators. */
async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix + entry.name;
    if (entry.isDirectory()) files.push(...(await filesUnder(dir, `${relative}/`)));
    else if (entry.isFile()) files.push(relative);
  }
  return files;
}

function serveRuntimeFiles(base: string): Connect.NextHandleFunction {
  return (req, res, next) => {
    const pathname = decodeURIComponent((req.url ?? '').split('?')[0]);
    const relative = pathname.startsWith(base) ? pathname.slice(base.length) : pathname.slice(1);
    for (const { url, dir, files } of RUNTIME_FILES) {
      if (!relative.startsWith(url)) continue;
      const name = relative.slice(url.length);
      if (name.includes('/') || !files(name)) continue;
      const file = path.join(ROOT, dir, name);
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        continue;
      }
      for (const [key, value] of Object.entries(WEB_HEADERS)) res.setHeader(key, value);
      res.setHeader(
        'Content-Type',
        CONTENT_TYPES[path.extname(name)] ?? 'text/plain; charset=utf-8',
      );
      res.setHeader('Content-Length', String(size));
      createReadStream(file).pipe(res);
      return;
    }
    next();
  };
}

export default defineConfig({
  // Relative URLs: the built site works from any folder of a static host.
  base: './',
  plugins: [runtimeFiles()],
  // ORT's build without the WebAssembly glue inlined: it loads ort/*.mjs and ort/*.wasm from the
  // URLs the worker sets in ort.env.wasm.wasmPaths, so the bundle does not carry a second copy.
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  server: { headers: WEB_HEADERS },
  preview: { headers: WEB_HEADERS },
  // ORT loads its own WebAssembly glue at run time; pre-bundling it would break that.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es' },
  build: {
    outDir: 'dist-web',
    emptyOutDir: true,
    target: 'es2022',
    // ORT's bundle is large by nature; it is fetched once and cached.
    chunkSizeWarningLimit: 1024,
  },
});
