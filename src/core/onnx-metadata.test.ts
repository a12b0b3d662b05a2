import { describe, expect, it } from 'vitest';

import { readOnnxMetadata } from './onnx-metadata.js';

/** Minimal protobuf writer for building test messages. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const lengthDelimited = (field: number, body: number[]) => [...tag(field, 2), ...varint(body.length), ...body];
const str = (field: number, s: string) => lengthDelimited(field, [...new TextEncoder().encode(s)]);
const entry = (k: string, v: string) => lengthDelimited(14, [...str(1, k), ...str(2, v)]);

describe('readOnnxMetadata', () => {
  it('reads metadata_props entries between other top-level fields', () => {
    const bytes = new Uint8Array([
      ...tag(1, 0), ...varint(8), // ir_version
      ...str(2, 'pytorch'), // producer_name
      ...entry('labels', '["angry","happy"]'),
      ...lengthDelimited(7, new Array(300).fill(7)), // a "graph" blob that must be skipped
      ...tag(99, 5), 1, 2, 3, 4, // an unknown fixed32
      ...tag(98, 1), 1, 2, 3, 4, 5, 6, 7, 8, // an unknown fixed64
      ...entry('input_size', '44'),
      ...entry('note', 'ünïcode ✓'),
    ]);
    expect(readOnnxMetadata(bytes)).toEqual({
      labels: '["angry","happy"]',
      input_size: '44',
      note: 'ünïcode ✓',
    });
  });

  it('returns an empty record for a model without metadata', () => {
    expect(readOnnxMetadata(new Uint8Array([...tag(1, 0), 7, ...str(2, 'x')]))).toEqual({});
  });

  it('names the model and the problem for truncated bytes', () => {
    const bytes = new Uint8Array(entry('labels', 'abcdef')).subarray(0, 8);
    expect(() => readOnnxMetadata(bytes, 'expression.onnx')).toThrow(
      /^expression\.onnx: not a valid ONNX model \(protobuf\): .*runs past the end/,
    );
  });

  it('rejects text that is not protobuf', () => {
    const bytes = new TextEncoder().encode('<html>not found</html>');
    expect(() => readOnnxMetadata(bytes, 'm.onnx')).toThrow(/m\.onnx: not a valid ONNX model/);
  });
});
