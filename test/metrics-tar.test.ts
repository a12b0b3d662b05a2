import { describe, expect, it } from 'vitest';

import { tarEntries } from '../src/node/tools/fer2013-images.js';

/** One 512-byte ustar header (checksum left blank: the reader does not check it). */
function header(name: string, size: number, type: string, prefix = ''): Uint8Array {
  const block = new Uint8Array(512);
  const put = (text: string, at: number) => block.set(new TextEncoder().encode(text), at);
  put(name, 0);
  put(size.toString(8).padStart(11, '0'), 124);
  put(type, 156);
  put('ustar', 257);
  put(prefix, 345);
  return block;
}

function archive(
  entries: { name: string; body: string; type?: string; prefix?: string }[],
): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const body = new TextEncoder().encode(e.body);
    parts.push(header(e.name, body.length, e.type ?? '0', e.prefix));
    const padded = new Uint8Array(Math.ceil(body.length / 512) * 512);
    padded.set(body);
    parts.push(padded);
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('tarEntries', () => {
  it('yields regular files with their ustar prefix and skips folders', () => {
    const tar = archive([
      { name: 'test/', body: '', type: '5' },
      { name: 'PrivateTest_1.jpg', body: 'x'.repeat(700), prefix: 'test/happy' },
      { name: 'test/sad/PrivateTest_2.jpg', body: 'abc' },
    ]);
    const entries = [...tarEntries(tar, 'made.tar')];
    expect(entries.map((e) => e.name)).toEqual([
      'test/happy/PrivateTest_1.jpg',
      'test/sad/PrivateTest_2.jpg',
    ]);
    expect(entries[0].data.length).toBe(700);
    expect(new TextDecoder().decode(entries[1].data)).toBe('abc');
  });

  it('names the archive when an entry runs past its end', () => {
    const tar = archive([{ name: 'a.jpg', body: 'y'.repeat(100) }]).subarray(0, 512 + 50);
    expect(() => [...tarEntries(tar, 'cut.tar')]).toThrow(
      /cut\.tar: tar entry at byte 0 runs past the end/,
    );
  });
});
