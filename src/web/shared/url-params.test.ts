import { describe, expect, it } from 'vitest';

import { MAX_THREADS_PARAM, threadsParam } from './url-params.js';

describe('threadsParam', () => {
  it('reads a whole number of threads', () => {
    expect(threadsParam('?threads=1')).toEqual({ threads: 1, problem: null });
    expect(threadsParam('?smoothing=3&threads=2')).toEqual({ threads: 2, problem: null });
    expect(threadsParam(`?threads=${MAX_THREADS_PARAM}`).threads).toBe(MAX_THREADS_PARAM);
  });

  it('leaves the default when the parameter is absent', () => {
    expect(threadsParam('')).toEqual({ threads: null, problem: null });
    expect(threadsParam('?other=2')).toEqual({ threads: null, problem: null });
  });

  it.each(['0', '-1', '1.5', 'two', '', String(MAX_THREADS_PARAM + 1)])(
    'ignores threads=%s and says why',
    (raw) => {
      const parsed = threadsParam(`?threads=${raw}`);
      expect(parsed.threads).toBeNull();
      expect(parsed.problem).toBe(
        `?threads=${raw} ignored: expected a whole number from 1 to ${MAX_THREADS_PARAM}`,
      );
    },
  );
});
