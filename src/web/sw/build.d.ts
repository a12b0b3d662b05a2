/**
 * What the build (vite.config.ts) writes at the top of dist-web/sw.js, before service-worker.js.
 */
declare const BUILD: {
  /** Hex digest of every file of the site (paths and contents) and of the worker's own code. */
  version: string;
  /** Every file of the site but sw.js, as URLs relative to sw.js (`index.html`, `ort/...`). */
  files: readonly string[];
};
