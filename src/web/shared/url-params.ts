/** Settings a page URL can carry, for benchmarks and tests: `index.html?threads=2`. */

/** The most WebAssembly threads `?threads=` accepts. */
export const MAX_THREADS_PARAM = 16;

/**
 * The WebAssembly thread count asked for by `?threads=N` in `search` (a `location.search`
 * string), N a whole number in 1..{@link MAX_THREADS_PARAM}.
 *
 * @returns `threads`: N, or null when the parameter is absent or invalid (the app's default
 *   applies); `problem`: why an invalid value was ignored, to show the user, else null.
 */
export function threadsParam(search: string): { threads: number | null; problem: string | null } {
  const raw = new URLSearchParams(search).get('threads');
  if (raw === null) return { threads: null, problem: null };
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < 1 || value > MAX_THREADS_PARAM) {
    return {
      threads: null,
      problem: `?threads=${raw} ignored: expected a whole number from 1 to ${MAX_THREADS_PARAM}`,
    };
  }
  return { threads: value, problem: null };
}
