import { describe, expect, it } from 'vitest';

import shippedKeypoints from '../../../assets/emoji/keypoints.json';
import { EXPRESSIONS } from '../types.js';
import type { Expression, MaskKeypoints, RgbaImage } from '../types.js';
import {
  COVER_MIN_ALPHA,
  checkEmojiArt,
  checkEmojiPack,
  parseEmojiKeypoints,
} from './emoji-pack.js';
import type { EmojiArt, EmojiPack } from './emoji-pack.js';

const SOURCE = 'pack/keypoints.json';

/** A keypoint layout inside a disc of radius 200 centred at (256, 256). */
const KEYPOINTS: MaskKeypoints = {
  leftEyeOuter: { x: 316, y: 232 },
  rightEyeOuter: { x: 196, y: 232 },
  mouthLeft: { x: 290, y: 327 },
  mouthRight: { x: 222, y: 327 },
  philtrum: { x: 256, y: 303 },
  chin: { x: 256, y: 395 },
};
const COVER = { centerX: 256, centerY: 256, radius: 200 };

/** A fresh, valid keypoints.json document (plain JSON values, safe to mutate). */
function validDocument(): Record<string, unknown> {
  const expressions: Record<string, unknown> = {};
  for (const expression of EXPRESSIONS) {
    expressions[expression] = {
      file: `${expression}.png`,
      width: 512,
      height: 512,
      keypoints: structuredClone(KEYPOINTS),
      cover: { ...COVER },
    };
  }
  return { version: 1, expressions };
}

/** Sets the value at a dotted path (creating nothing: the parent must exist). */
function setPath(doc: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = doc;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
}

/** An opaque disc of radius `discRadius` centred in a transparent square of `size` px. */
function discImage(size: number, discRadius: number): RgbaImage {
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = Math.hypot(x + 0.5 - size / 2, y + 0.5 - size / 2) <= discRadius;
      data.set(inside ? [255, 204, 77, 255] : [0, 0, 0, 0], (y * size + x) * 4);
    }
  }
  return { width: size, height: size, data };
}

function art(overrides: Partial<EmojiArt> = {}): EmojiArt {
  return {
    image: discImage(512, 210),
    keypoints: structuredClone(KEYPOINTS),
    cover: { ...COVER },
    ...overrides,
  };
}

describe('parseEmojiKeypoints', () => {
  it('accepts the shipped assets/emoji/keypoints.json with all seven expressions', () => {
    const parsed = parseEmojiKeypoints(shippedKeypoints, 'assets/emoji/keypoints.json');
    expect(Object.keys(parsed).sort()).toEqual([...EXPRESSIONS].sort());
    for (const expression of EXPRESSIONS) {
      const entry = shippedKeypoints.expressions[expression];
      expect(parsed[expression]).toEqual({
        file: `${expression}.png`,
        width: entry.width,
        height: entry.height,
        keypoints: entry.keypoints,
        cover: entry.cover,
      });
    }
  });

  it('returns exactly the placements of a valid document', () => {
    const parsed = parseEmojiKeypoints(validDocument(), SOURCE);
    expect(parsed.sad).toEqual({
      file: 'sad.png',
      width: 512,
      height: 512,
      keypoints: KEYPOINTS,
      cover: COVER,
    });
  });

  it.each([null, [], 'keypoints', 42])('rejects a top level that is not an object (%j)', (json) => {
    expect(() => parseEmojiKeypoints(json, SOURCE)).toThrow(
      new TypeError(`${SOURCE}: (top level): expected an object, got ${describeForTest(json)}`),
    );
  });

  // [what is wrong, dotted path to change, new value (undefined: delete), expected message part]
  const cases: [string, string, unknown, RegExp][] = [
    ['a missing version', 'version', undefined, /version: expected 1, got nothing \(missing\)/],
    ['a newer version', 'version', 2, /version: expected 1, got 2/],
    ['no expressions', 'expressions', undefined, /expressions: expected an object, got nothing/],
    [
      'a missing expression',
      'expressions.disgust',
      undefined,
      /expressions\.disgust: expected an object, got nothing/,
    ],
    [
      'an unknown expression',
      'expressions.contempt',
      {},
      /expressions\.contempt: unknown expression; expected only angry, disgust/,
    ],
    [
      'a file name that is not a string',
      'expressions.fear.file',
      7,
      /expressions\.fear\.file: expected a file name, got 7/,
    ],
    [
      'a file name with a folder',
      'expressions.fear.file',
      '../fear.png',
      /expressions\.fear\.file: expected a plain PNG file name.*"\.\.\/fear\.png"/,
    ],
    [
      'a file that is not a PNG',
      'expressions.fear.file',
      'fear.jpg',
      /expressions\.fear\.file: expected a plain PNG file name/,
    ],
    [
      'a fractional width',
      'expressions.happy.width',
      511.5,
      /expressions\.happy\.width: expected a positive integer \(pixels\), got 511\.5/,
    ],
    [
      'a zero height',
      'expressions.happy.height',
      0,
      /expressions\.happy\.height: expected a positive integer/,
    ],
    [
      'no keypoints',
      'expressions.sad.keypoints',
      undefined,
      /expressions\.sad\.keypoints: expected an object, got nothing/,
    ],
    [
      'a missing keypoint',
      'expressions.sad.keypoints.philtrum',
      undefined,
      /expressions\.sad\.keypoints\.philtrum: expected an object, got nothing/,
    ],
    [
      'a keypoint given as an array',
      'expressions.sad.keypoints.chin',
      [256, 395],
      /expressions\.sad\.keypoints\.chin: expected an object, got an array/,
    ],
    [
      'a coordinate given as a string',
      'expressions.sad.keypoints.chin.y',
      '395',
      /expressions\.sad\.keypoints\.chin\.y: expected a number, got "395"/,
    ],
    [
      'an infinite coordinate',
      'expressions.angry.keypoints.mouthLeft.x',
      Infinity,
      /expressions\.angry\.keypoints\.mouthLeft\.x: expected a finite number, got Infinity/,
    ],
    [
      'a NaN coordinate',
      'expressions.angry.keypoints.leftEyeOuter.y',
      NaN,
      /expressions\.angry\.keypoints\.leftEyeOuter\.y: expected a finite number, got NaN/,
    ],
    [
      'a null coordinate',
      'expressions.angry.keypoints.rightEyeOuter.x',
      null,
      /expressions\.angry\.keypoints\.rightEyeOuter\.x: expected a number, got null/,
    ],
    [
      'no cover disc',
      'expressions.neutral.cover',
      undefined,
      /expressions\.neutral\.cover: expected an object, got nothing/,
    ],
    [
      'a cover without a centre',
      'expressions.neutral.cover.centerX',
      undefined,
      /expressions\.neutral\.cover\.centerX: expected a number, got nothing/,
    ],
    [
      'a zero radius',
      'expressions.neutral.cover.radius',
      0,
      /expressions\.neutral\.cover\.radius: expected > 0, got 0/,
    ],
    [
      'a negative radius',
      'expressions.surprise.cover.radius',
      -3,
      /expressions\.surprise\.cover\.radius: expected > 0, got -3/,
    ],
  ];

  it.each(cases)('rejects %s, naming the file and the field', (_what, at, value, message) => {
    const doc = validDocument();
    setPath(doc, at, value);
    let error: unknown;
    try {
      parseEmojiKeypoints(doc, SOURCE);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message.startsWith(`${SOURCE}: `)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('ignores fields it does not read (provenance, layout notes)', () => {
    const doc = validDocument();
    doc.source = { package: '@twemoji/svg' };
    setPath(doc, 'expressions.angry.codepoint', '1f620');
    expect(parseEmojiKeypoints(doc, SOURCE).angry.file).toBe('angry.png');
  });
});

describe('checkEmojiArt', () => {
  it('accepts an opaque disc with the keypoints inside it', () => {
    expect(() => checkEmojiArt(art(), 'sad.png')).not.toThrow();
  });

  it('rejects an image smaller than 512 px, naming it and its size', () => {
    const small = art({
      image: discImage(256, 120),
      cover: { centerX: 128, centerY: 128, radius: 100 },
    });
    expect(() => checkEmojiArt(small, 'sad.png')).toThrow(
      'sad.png: image is 256x256 px, expected at least 512 px on each side',
    );
  });

  it('rejects image data of the wrong length', () => {
    const image = { width: 512, height: 512, data: new Uint8Array(512 * 512 * 3) };
    expect(() => checkEmojiArt(art({ image }), 'sad.png')).toThrow(
      /sad\.png: expected 1048576 bytes/,
    );
  });

  it('rejects a cover disc reaching outside the image', () => {
    const cover = { centerX: 256, centerY: 256, radius: 300 };
    expect(() => checkEmojiArt(art({ cover }), 'sad.png')).toThrow(
      /does not fit inside the 512x512 image/,
    );
  });

  it('rejects a keypoint outside the cover disc', () => {
    const keypoints = structuredClone(KEYPOINTS);
    keypoints.chin = { x: 256, y: 470 };
    expect(() => checkEmojiArt(art({ keypoints }), 'sad.png')).toThrow(
      /keypoint chin \(256, 470\) lies outside the cover disc/,
    );
  });

  it('rejects a mirrored layout (subject left eye on the image left)', () => {
    const keypoints = structuredClone(KEYPOINTS);
    [keypoints.leftEyeOuter, keypoints.rightEyeOuter] = [
      keypoints.rightEyeOuter,
      keypoints.leftEyeOuter,
    ];
    expect(() => checkEmojiArt(art({ keypoints }), 'sad.png')).toThrow(
      /keypoints are mirrored: .*got eye x 196 \(left\) vs 316 \(right\)/,
    );
  });

  it('rejects one translucent pixel inside the cover disc, and only inside it', () => {
    const leaky = art();
    // (300, 256) is inside the disc: alpha just under the limit must fail.
    leaky.image.data[(256 * 512 + 300) * 4 + 3] = COVER_MIN_ALPHA - 1;
    expect(() => checkEmojiArt(leaky, 'sad.png')).toThrow(
      `sad.png: pixel (300, 256) inside the cover disc has alpha ${COVER_MIN_ALPHA - 1}, expected >= ${COVER_MIN_ALPHA}: the face behind would show through`,
    );
    // A disc whose edge pixel centres sit just inside the art's opaque edge passes; one pixel
    // more and the transparent ring is inside it.
    expect(() => checkEmojiArt(art({ cover: { ...COVER, radius: 210 } }), 'a')).not.toThrow();
    expect(() => checkEmojiArt(art({ cover: { ...COVER, radius: 211 } }), 'a')).toThrow(
      /has alpha 0/,
    );
  });
});

describe('checkEmojiPack', () => {
  function pack(): Record<Expression, EmojiArt> {
    const one = art();
    return Object.fromEntries(EXPRESSIONS.map((e) => [e, one])) as Record<Expression, EmojiArt>;
  }

  it('accepts seven valid emoji', () => {
    expect(() => checkEmojiPack(pack())).not.toThrow();
  });

  it('rejects a pack without one of the expressions', () => {
    const partial: Partial<Record<Expression, EmojiArt>> = pack();
    delete partial.fear;
    expect(() => checkEmojiPack(partial as EmojiPack)).toThrow(
      'emoji pack: no emoji for "fear"; a pack needs all of angry, disgust, fear, happy, sad, surprise, neutral',
    );
  });

  it('names the expression whose image is too small', () => {
    const p = pack();
    p.surprise = art({ image: discImage(500, 240) });
    expect(() => checkEmojiPack(p)).toThrow(
      'emoji pack: surprise: image is 500x500 px, expected at least 512 px on each side',
    );
  });
});

function describeForTest(json: unknown): string {
  if (json === null) return 'null';
  if (Array.isArray(json)) return 'an array';
  if (typeof json === 'string') return JSON.stringify(json);
  return String(json);
}
