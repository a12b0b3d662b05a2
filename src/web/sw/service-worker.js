/**
 * The app's service worker, for offline use: once the site has loaded, it loads and runs with no
 * network, a reload included.
 *
 * The build copies this file as it is to dist-web/sw.js, after a header that defines `BUILD`
 * (see build.d.ts): every file of the site, relative to sw.js, and a hash of their contents.
 *
 * - install: every file is fetched (revalidated with the server, so no stale copy from the HTTP
 *   cache) into a cache named after the hash. One file that fails fails the install, and the
 *   version before stays in charge.
 * - activate: this site's caches of other versions are deleted. The new version takes over at
 *   once (skipWaiting): pages already open have loaded everything they need.
 * - fetch: a GET of this origin is answered from the cache, else from the network (and not
 *   stored). Requests to other origins are left alone (the CSP forbids them anyway).
 *
 * Responses are stored with their headers, so a page served from the cache keeps COOP, COEP and
 * CORP and stays cross-origin isolated, which WebAssembly threads need.
 */

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

/** This site's caches; the scope is in the name so that two copies on one origin keep apart. */
const CACHE_PREFIX = `emoji-mask ${sw.registration.scope} `;
const CACHE = CACHE_PREFIX + BUILD.version;

sw.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => sw.skipWaiting()));
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(deleteOtherVersions());
});

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== location.origin) return;
  event.respondWith(cachedOrFetched(request));
});

async function precache() {
  const cache = await caches.open(CACHE);
  await Promise.all(
    BUILD.files.map(async (file) => {
      const url = new URL(file, location.href).href;
      const response = await fetch(url, { cache: 'no-cache' });
      if (!response.ok) {
        throw new Error(`sw.js: cannot keep ${file} for offline use: HTTP ${response.status}`);
      }
      // A redirected response cannot answer a navigation: store a copy without the redirect.
      const kept = response.redirected
        ? new Response(response.body, {
            status: response.status,
            statusText: response.statusText,
            headers: response.headers,
          })
        : response;
      await cache.put(url, kept);
    }),
  );
}

async function deleteOtherVersions() {
  const names = await caches.keys();
  await Promise.all(
    names
      .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
      .map((name) => caches.delete(name)),
  );
}

/** @param {Request} request */
async function cachedOrFetched(request) {
  const url = new URL(request.url);
  url.hash = '';
  // The page reads its query itself (?threads=N): any query gets the one cached page.
  if (request.mode === 'navigate') url.search = '';
  if (url.href === sw.registration.scope) url.href = new URL('index.html', url).href;
  const cached = await (await caches.open(CACHE)).match(url.href);
  return cached ?? fetch(request);
}
