import { describe, expect, it } from 'vitest';

import { applyAffine, composeAffine, invertAffine, rectToSourceAffine } from './affine.js';

describe('affine helpers', () => {
  it('inverts and composes to the identity', () => {
    const m = [2, 0.5, 10, -0.3, 1.5, -4] as const;
    const id = composeAffine(m, invertAffine(m));
    [1, 0, 0, 0, 1, 0].forEach((v, i) => expect(id[i]).toBeCloseTo(v, 12));
  });

  it('rejects a singular transform', () => {
    expect(() => invertAffine([1, 2, 0, 2, 4, 0])).toThrow(RangeError);
  });

  it('maps the crop centre to the rect centre and its x axis along the rotation', () => {
    const rect = { centerX: 100, centerY: 50, width: 40, height: 40, rotation: Math.PI / 2 };
    const m = rectToSourceAffine(rect, 192, 192);
    const centre = applyAffine(m, { x: 96, y: 96 });
    expect(centre.x).toBeCloseTo(100, 10);
    expect(centre.y).toBeCloseTo(50, 10);
    // Rotated a quarter turn clockwise on screen: the crop's right edge centre lies below the centre.
    const right = applyAffine(m, { x: 192, y: 96 });
    expect(right.x).toBeCloseTo(100, 10);
    expect(right.y).toBeCloseTo(70, 10);
  });
});
