import { describe, expect, it } from 'vitest';

import { premultiply } from './emoji-loader.js';

describe('premultiply', () => {
  it('scales colour by alpha, rounding, and keeps alpha', () => {
    const image = {
      width: 4,
      height: 1,
      data: new Uint8Array([255, 128, 0, 128, 10, 20, 30, 255, 200, 200, 200, 0, 255, 255, 255, 1]),
    };
    expect([...premultiply(image)]).toEqual([
      128, 64, 0, 128, 10, 20, 30, 255, 0, 0, 0, 0, 1, 1, 1, 1,
    ]);
  });
});
