/// <reference types="vite/client" />
/**
 * Offline use: registers the service worker that the build writes (dist-web/sw.js, from
 * src/web/sw/service-worker.js), which keeps every file of the site in a cache so that the app
 * loads and runs with no network once it has loaded once.
 *
 * Built site only: the dev server has no sw.js, and a cache there would hide edits.
 */

import { messageOf } from '../shared/assets.js';

let registered = false;

/**
 * Registers sw.js (beside the page, so its scope is the site's folder) the first time it is
 * called; later calls do nothing. Call it once the models are ready: their files are then in the
 * HTTP cache, which the worker's install revalidates rather than downloading 45 MB again.
 * Never throws: without a service worker the app still works, online, so a failure is only a
 * console warning.
 */
export function registerOffline(): void {
  if (registered || !import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  registered = true;
  const register = async () => navigator.serviceWorker.register('sw.js');
  register().catch((err: unknown) => {
    console.warn(`Offline use is unavailable: sw.js could not be registered (${messageOf(err)})`);
  });
}
