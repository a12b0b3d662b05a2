/**
 * Reads the custom `metadata_props` of an ONNX model straight from its bytes.
 *
 * ONNX Runtime's JavaScript API exposes input and output metadata but not the model's
 * key/value properties, which is where our models keep their labels, input size and framing.
 * An ONNX file is a protobuf `ModelProto`; its `metadata_props` is field 14, a repeated
 * `StringStringEntryProto` with `key` = 1 and `value` = 2. Only the top level is walked: every
 * other field (the graph and its weights included) is skipped by its length, so this reads a
 * multi-megabyte model in microseconds.
 */

const METADATA_PROPS_FIELD = 14;
const ENTRY_KEY_FIELD = 1;
const ENTRY_VALUE_FIELD = 2;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/**
 * The model's `metadata_props` as a plain record (a repeated key keeps its last value).
 *
 * @param bytes the whole `.onnx` file.
 * @param name the model's name for error messages, e.g. `expression.onnx`.
 * @throws Error naming the model when the bytes are not a well-formed protobuf message.
 */
export function readOnnxMetadata(bytes: Uint8Array, name = 'model'): Record<string, string> {
  const props: Record<string, string> = {};
  const reader = new ProtoReader(bytes, name);
  while (!reader.done()) {
    const { field, wireType } = reader.tag();
    if (field === METADATA_PROPS_FIELD && wireType === WIRE_LENGTH_DELIMITED) {
      const entry = new ProtoReader(reader.bytes(), name);
      let key = '';
      let value = '';
      while (!entry.done()) {
        const t = entry.tag();
        if (t.field === ENTRY_KEY_FIELD && t.wireType === WIRE_LENGTH_DELIMITED) {
          key = entry.string();
        } else if (t.field === ENTRY_VALUE_FIELD && t.wireType === WIRE_LENGTH_DELIMITED) {
          value = entry.string();
        } else {
          entry.skip(t.wireType);
        }
      }
      props[key] = value;
    } else {
      reader.skip(wireType);
    }
  }
  return props;
}

/** A forward-only reader over one protobuf message. */
class ProtoReader {
  private pos = 0;
  private static readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(
    private readonly buf: Uint8Array,
    private readonly name: string,
  ) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  tag(): { field: number; wireType: number } {
    const at = this.pos;
    const key = this.varint();
    const field = Math.floor(key / 8);
    if (field === 0) this.fail(`field number 0 at byte ${at}`);
    return { field, wireType: key % 8 };
  }

  /** A varint as a JS number; values past 2^53 lose precision, which no length here reaches. */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) this.fail('a varint runs past the end of the data');
      const byte = this.buf[this.pos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    return this.fail(`a varint longer than 10 bytes ends at byte ${this.pos}`);
  }

  bytes(): Uint8Array {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.buf.length) {
      this.fail(`a field of ${length} bytes at byte ${this.pos} runs past the end (${this.buf.length} bytes)`);
    }
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  string(): string {
    return ProtoReader.decoder.decode(this.bytes());
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LENGTH_DELIMITED:
        this.bytes();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        this.fail(`unsupported protobuf wire type ${wireType} before byte ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.buf.length) this.fail('a fixed-width field runs past the end of the data');
    this.pos += n;
  }

  private fail(problem: string): never {
    throw new Error(`${this.name}: not a valid ONNX model (protobuf): ${problem}`);
  }
}
