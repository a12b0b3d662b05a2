import { describe, expect, it } from 'vitest';

import { EXPRESSIONS, type Expression, type FaceResult } from '../core/types.js';
import {
  checkFrameResultJson,
  checkImageResultJson,
  faceToJson,
  frameResultToJson,
  imageResultToJson,
  roundTo,
} from './result-json.js';

/** A face as the masker returns it, with unrounded numbers and a (short) mesh. */
function face(overrides: Partial<FaceResult> = {}): FaceResult {
  const raw = [0.051234, 0.010004, 0.020001, 0.700123, 0.1, 0.018638, 0.1];
  const probabilities = Object.fromEntries(EXPRESSIONS.map((e, i) => [e, raw[i]])) as Record<
    Expression,
    number
  >;
  return {
    id: 3,
    box: { x: 586.3712, y: 84.349, width: 158.0549, height: 194.3321 },
    score: 0.946219,
    tracking: 'live',
    expression: 'happy',
    probabilities,
    keypoints: {
      leftEyeOuter: { x: 717.2412, y: 143.104 },
      rightEyeOuter: { x: 616.7681, y: 144.0449 },
      mouthLeft: { x: 708.654, y: 212.0711 },
      mouthRight: { x: 625.4949, y: 212.4 },
      philtrum: { x: 667.3651, y: 198.8749 },
      chin: { x: -0.001, y: 278.6849 },
    },
    outline: [{ x: 600, y: 90 }],
    anchors: [],
    landmarks: [{ x: 1, y: 2, z: 3 }],
    ...overrides,
  };
}

describe('faceToJson', () => {
  it('rounds pixels to 2 and probabilities to 4 decimals and leaves the mesh out', () => {
    expect(faceToJson(face())).toEqual({
      id: 3,
      box: { x: 586.37, y: 84.35, width: 158.05, height: 194.33 },
      score: 0.9462,
      tracking: 'live',
      expression: 'happy',
      probabilities: {
        angry: 0.0512,
        disgust: 0.01,
        fear: 0.02,
        happy: 0.7001,
        sad: 0.1,
        surprise: 0.0186,
        neutral: 0.1,
      },
      keypoints: {
        leftEyeOuter: { x: 717.24, y: 143.1 },
        rightEyeOuter: { x: 616.77, y: 144.04 },
        mouthLeft: { x: 708.65, y: 212.07 },
        mouthRight: { x: 625.49, y: 212.4 },
        philtrum: { x: 667.37, y: 198.87 },
        chin: { x: 0, y: 278.68 },
      },
    });
  });

  it('writes -0 as 0', () => {
    expect(Object.is(roundTo(-0.001, 2), 0)).toBe(true);
    expect(JSON.stringify(faceToJson(face()).keypoints.chin)).toBe('{"x":0,"y":278.68}');
  });
});

describe('checkImageResultJson', () => {
  it('accepts what imageResultToJson writes, after a JSON round trip', () => {
    const doc = JSON.parse(JSON.stringify(imageResultToJson(1280, 720, [face(), face({ id: 4 })])));
    expect(checkImageResultJson(doc)).toEqual(doc);
    expect(checkImageResultJson({ width: 10, height: 10, faces: [] }).faces).toEqual([]);
  });

  /** A valid document with the value at a dotted path set (undefined: deleted). */
  function edited(dotted: string, value: unknown): unknown {
    const doc = JSON.parse(JSON.stringify(imageResultToJson(1280, 720, [face()]))) as unknown;
    const keys = dotted.split('.');
    let node = doc as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = keys[keys.length - 1];
    if (value === undefined) delete node[last];
    else node[last] = value;
    return doc;
  }

  // [what is wrong, dotted path, new value (undefined: delete), expected message]
  it.each([
    [
      'a size that is not an integer',
      'width',
      12.5,
      /^width: expected a positive integer, got 12\.5/,
    ],
    ['no faces list', 'faces', undefined, /^\(top level\): missing field "faces"/],
    ['an extra field', 'extra', 1, /^\(top level\): unexpected field "extra"/],
    [
      'a string coordinate',
      'faces.0.box.x',
      '5',
      /^faces\.0\.box\.x: expected a finite number, got "5"/,
    ],
    [
      'a negative width',
      'faces.0.box.width',
      -1,
      /^faces\.0\.box\.width: expected a number in 0\.\./,
    ],
    [
      'a score above 1',
      'faces.0.score',
      1.5,
      /^faces\.0\.score: expected a number in 0\.\.1, got 1\.5/,
    ],
    [
      'a missing label',
      'faces.0.probabilities.fear',
      undefined,
      /^faces\.0\.probabilities: missing field "fear"/,
    ],
    [
      'probabilities not summing to 1',
      'faces.0.probabilities.sad',
      0.5,
      /^faces\.0\.probabilities: expected a sum of 1/,
    ],
    [
      'an unknown expression',
      'faces.0.expression',
      'contempt',
      /^faces\.0\.expression: expected one of angry/,
    ],
    [
      'an expression that is not the most probable',
      'faces.0.expression',
      'sad',
      /^faces\.0\.expression: "sad" has probability 0\.1, but another has 0\.7001/,
    ],
    [
      'a missing keypoint',
      'faces.0.keypoints.chin',
      undefined,
      /^faces\.0\.keypoints: missing field "chin"/,
    ],
    [
      'a keypoint without y',
      'faces.0.keypoints.philtrum.y',
      undefined,
      /^faces\.0\.keypoints\.philtrum: missing field "y"/,
    ],
    [
      'an unknown tracking state',
      'faces.0.tracking',
      'lost',
      /^faces\.0\.tracking: expected one of live, held, covered, got "lost"/,
    ],
    ['an id of 0', 'faces.0.id', 0, /^faces\.0\.id: expected an integer >= 1, got 0/],
  ])('rejects %s, naming the field', (_what, dotted, value, message) => {
    const doc = edited(dotted, value);
    expect(() => checkImageResultJson(doc)).toThrow(TypeError);
    expect(() => checkImageResultJson(doc)).toThrow(message);
  });
});

describe('checkFrameResultJson', () => {
  it('accepts a frame line and rounds its time to microseconds', () => {
    const line = frameResultToJson(7, 233.33333333, [face()]);
    expect(line.timeMs).toBe(233.333);
    expect(checkFrameResultJson(JSON.parse(JSON.stringify(line)))).toEqual(line);
  });

  it('accepts a held video label that trails the averaged leader, which a photo may not have', () => {
    const held = face({ expression: 'sad' });
    expect(() => checkFrameResultJson(JSON.parse(JSON.stringify(frameResultToJson(3, 100, [held]))))).not.toThrow();
    expect(() => checkImageResultJson(JSON.parse(JSON.stringify(imageResultToJson(640, 480, [held]))))).toThrow(
      /"sad" has probability 0\.1, but another has 0\.7001/,
    );
  });

  it('rejects a negative frame index and a missing time', () => {
    expect(() => checkFrameResultJson({ frame: -1, timeMs: 0, faces: [] })).toThrow(
      'frame: expected an integer >= 0, got -1',
    );
    expect(() => checkFrameResultJson({ frame: 0, faces: [] })).toThrow('missing field "timeMs"');
  });
});
