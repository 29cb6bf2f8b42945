import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memorySource, type ByteSource } from '../src/loader/byteSource.ts';
import { MAX_GGUF_HEADER_BYTES, readGgufFile } from '../src/loader/gguf/ggufFile.ts';
import type { GgufValue } from '../src/loader/gguf/ggufMetadata.ts';
import { ByteBuilder, GGML, encodeI2_S, f32Bytes, gv, typeId, writeGguf, type GgufSpec } from './ggufWriter.ts';

const NAME = 'test.gguf';

/** A source that records every read and fails the test on one outside the file. */
function recordingSource(bytes: Uint8Array, name = NAME): ByteSource & { reads: [number, number][] } {
  const inner = memorySource(name, bytes);
  const reads: [number, number][] = [];
  return {
    name,
    reads,
    size: inner.size,
    read(offset, length) {
      assert.ok(offset >= 0 && offset + length <= bytes.length, `read ${offset}+${length} of ${bytes.length} bytes`);
      reads.push([offset, length]);
      return inner.read(offset, length);
    },
  };
}

async function rejects(bytes: Uint8Array, pattern: RegExp): Promise<void> {
  await assert.rejects(readGgufFile(recordingSource(bytes)), (e: Error) => {
    assert.equal(e.name, 'ModelFormatError', `${e.name}: ${e.message}`);
    assert.match(e.message, new RegExp(`^${NAME}: `));
    assert.match(e.message, pattern);
    return true;
  });
}

const ALL_VALUES: Record<string, GgufValue> = {
  'v.u8': { type: 'uint8', value: 200 },
  'v.i8': { type: 'int8', value: -100 },
  'v.u16': { type: 'uint16', value: 60000 },
  'v.i16': { type: 'int16', value: -30000 },
  'v.u32': { type: 'uint32', value: 4000000000 },
  'v.i32': { type: 'int32', value: -2000000000 },
  'v.f32': { type: 'float32', value: Math.fround(1e-5) },
  'v.bool': { type: 'bool', value: true },
  'v.str': { type: 'string', value: 'héllo ✓ 🙂' },
  'v.u64': { type: 'uint64', value: 2n ** 63n + 5n },
  'v.i64': { type: 'int64', value: -(2n ** 62n) },
  'v.f64': { type: 'float64', value: 500000.25 },
  'a.u8': { type: 'array', itemType: 'uint8', items: Uint8Array.from([1, 2, 255]) },
  'a.i16': { type: 'array', itemType: 'int16', items: Int16Array.from([-1, 7]) },
  'a.i32': { type: 'array', itemType: 'int32', items: Int32Array.from([1, -3, 6]) },
  'a.f32': { type: 'array', itemType: 'float32', items: Float32Array.from([0.5, -2]) },
  'a.u64': { type: 'array', itemType: 'uint64', items: BigUint64Array.from([1n, 2n ** 64n - 1n]) },
  'a.bool': { type: 'array', itemType: 'bool', items: [true, false] },
  'a.str': { type: 'array', itemType: 'string', items: ['a', '', 'Ġthe', '<|eot_id|>'] },
  'a.empty': { type: 'array', itemType: 'float64', items: new Float64Array(0) },
};

function validSpec(): GgufSpec {
  return {
    metadata: { 'general.architecture': gv.str('bitnet'), ...ALL_VALUES },
    tensors: [
      { name: 'norm', dims: [5], type: GGML.F32, data: f32Bytes([1, 2, 3, 4, 5]) },
      { name: 'tq', dims: [256, 2], type: GGML.TQ2_0, data: new Uint8Array(2 * 66) },
      { name: 'i2s', dims: [128, 4], type: GGML.I2_S, data: encodeI2_S(new Array(512).fill(0), 1) },
      { name: 'h', dims: [3, 2], type: GGML.F16, data: new Uint8Array(12) },
    ],
  };
}

test('GGUF: metadata of every type and the tensor directory read back as written (v3 and v2, any alignment)', async () => {
  for (const [version, alignment] of [
    [3, 32],
    [2, 32],
    [3, 64],
    [3, 8],
  ]) {
    const spec = validSpec();
    spec.version = version;
    spec.alignment = alignment;
    if (alignment !== 32) spec.metadata['general.alignment'] = gv.u32(alignment);
    const bytes = writeGguf(spec);
    const file = await readGgufFile(recordingSource(bytes));
    assert.equal(file.version, version);
    assert.equal(file.alignment, alignment);
    assert.equal(file.dataOffset % alignment, 0);
    for (const [key, v] of Object.entries(ALL_VALUES)) assert.deepEqual(file.metadata.get(key), v, key);
    assert.deepEqual([...file.tensors.keys()], ['norm', 'tq', 'i2s', 'h']);
    const expectBytes = { norm: 20, tq: 132, i2s: 512 / 4 + 32, h: 12 };
    let at = file.dataOffset;
    for (const t of spec.tensors) {
      const info = file.tensors.get(t.name)!;
      assert.deepEqual(info.dims, t.dims);
      assert.equal(info.type, t.type);
      assert.equal(info.byteLength, expectBytes[t.name as keyof typeof expectBytes]);
      assert.equal(info.offset, at, t.name);
      assert.deepEqual(bytes.subarray(info.offset, info.offset + info.byteLength), t.data);
      at += Math.ceil(info.byteLength / alignment) * alignment;
    }
    assert.equal(file.tensors.get('i2s')!.typeName, 'I2_S');
    assert.equal(file.metadata.uint('v.u32', 2 ** 32), 4000000000);
    assert.throws(() => file.metadata.uint('v.i8', 10), /v\.i8: is -100, expected an integer in 0\.\.10/);
    assert.throws(() => file.metadata.string('v.u8'), /metadata v\.u8: expected a string, got uint8/);
    assert.throws(() => file.metadata.float('missing'), /metadata missing: is missing/);
  }
});

test('GGUF: the header is read in bounded chunks and tensor data is not read', async () => {
  const spec = validSpec();
  spec.tensors.push({ name: 'big', dims: [1 << 20], type: GGML.F32, data: new Uint8Array(4 << 20) });
  const source = recordingSource(writeGguf(spec));
  await readGgufFile(source);
  const read = source.reads.reduce((n, [, l]) => n + l, 0);
  assert.ok(read <= 65536, `read ${read} bytes of a ${(4 << 20) + 1000}-byte file to parse a <1 KiB header`);
});

test('GGUF: every truncation of the header is a ModelFormatError', async () => {
  const bytes = writeGguf(validSpec());
  const file = await readGgufFile(recordingSource(bytes));
  for (let cut = 0; cut < file.dataOffset; cut += 1)
    await assert.rejects(readGgufFile(recordingSource(bytes.subarray(0, cut))), (e: Error) => {
      assert.equal(e.name, 'ModelFormatError', `cut at ${cut}: ${e.message}`);
      assert.match(
        e.message,
        /too short|past the end|truncated|runs past the data section|claims \d+ items/,
        `cut at ${cut}: ${e.message}`,
      );
      return true;
    });
});

/** A header built by hand: magic, version, counts, then `body`. */
function header(tensors: number | bigint, entries: number | bigint, body: (b: ByteBuilder) => void, version = 3) {
  const b = new ByteBuilder().u32(0x46554747).u32(version).u64(tensors).u64(entries);
  body(b);
  return b.pad(32).raw(new Uint8Array(64)).finish();
}

test('GGUF: bad magic, version and byte order are refused', async () => {
  const bytes = writeGguf(validSpec());
  const patched = (at: number, v: number) => {
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(at, v, true);
    return b;
  };
  await rejects(patched(0, 0x46554746), /not a GGUF file/);
  await rejects(patched(4, 1), /version 1/);
  await rejects(patched(4, 4), /version 4; versions 2 and 3/);
  await rejects(patched(4, 0x03000000), /big-endian/);
  await rejects(new Uint8Array(10), /too short/);
});

test('GGUF: huge counts, strings and arrays are refused before anything is allocated', async () => {
  const t0 = performance.now();
  await rejects(
    header(2n ** 40n, 0, () => {}),
    /lists 1099511627776 tensors, more than the 100000/,
  );
  await rejects(
    header(0, 2n ** 33n, () => {}),
    /lists 8589934592 metadata entries/,
  );
  await rejects(
    header(0, 1, (b) => b.u64(2n ** 50n)),
    /metadata key 0 is 1125899906842624 bytes long/,
  );
  await rejects(
    header(0, 1, (b) => b.u64(2n ** 60n)),
    /far beyond any real file/,
  );
  await rejects(
    header(0, 1, (b) =>
      b
        .str('k')
        .u32(typeId('string'))
        .u64(MAX_GGUF_HEADER_BYTES - 100),
    ),
    /metadata k runs past the end/,
  );
  await rejects(
    header(0, 1, (b) =>
      b
        .str('k')
        .u32(typeId('string'))
        .u64(MAX_GGUF_HEADER_BYTES + 1),
    ),
    /metadata k is 67108865 bytes long, more than/,
  );
  await rejects(
    header(0, 1, (b) =>
      b
        .str('tokens')
        .u32(typeId('array'))
        .u32(typeId('string'))
        .u64(2n ** 40n),
    ),
    /metadata tokens claims 1099511627776 items, more than the rest of the header/,
  );
  await rejects(
    header(0, 1, (b) => b.str('ids').u32(typeId('array')).u32(typeId('uint32')).u64(1000)),
    /metadata ids claims 1000 items/,
  );
  await rejects(
    header(0, 1, (b) =>
      b
        .str('ids')
        .u32(typeId('array'))
        .u32(typeId('string'))
        .u64(2)
        .str('a')
        .u64(2n ** 45n),
    ),
    /metadata ids\[1\] is 35184372088832 bytes long/,
  );
  assert.ok(performance.now() - t0 < 500);
});

test('GGUF: a header past the size limit is refused without reading it', async () => {
  // a 100 MiB file whose one string value is 65 MiB long: the limit is checked before the read
  const prefix = header(0, 1, (b) =>
    b
      .str('template')
      .u32(typeId('string'))
      .u64(65 * 2 ** 20),
  );
  const size = 100 * 2 ** 20;
  const source: ByteSource = {
    name: NAME,
    size: async () => size,
    read: async (offset, length) => {
      assert.ok(length <= 2 * 65536, `read ${length} bytes`);
      const out = new Uint8Array(length);
      out.set(prefix.subarray(offset, offset + length));
      return out;
    },
  };
  await assert.rejects(
    readGgufFile(source),
    /metadata template is 68157440 bytes long, more than the 67108864 allowed|ends past 67108864 bytes/,
  );
});

test('GGUF: malformed values name the key', async () => {
  await rejects(
    header(0, 1, (b) => b.str('x').u32(13)),
    /metadata x: value type 13 is not one GGUF defines/,
  );
  await rejects(
    header(0, 1, (b) => b.str('flag').u32(typeId('bool')).u8(2)),
    /metadata flag: a bool holds 2/,
  );
  await rejects(
    header(0, 1, (b) => b.str('nested').u32(typeId('array')).u32(typeId('array')).u64(1)),
    /metadata nested is an array of arrays/,
  );
  await rejects(
    header(0, 1, (b) => b.str('a').u32(typeId('array')).u32(99).u64(1)),
    /metadata a's items: value type 99 is not one GGUF defines/,
  );
  await rejects(
    header(0, 1, (b) =>
      b
        .u64(2)
        .raw(Uint8Array.from([0xc3, 0x28]))
        .u32(typeId('uint8'))
        .u8(1),
    ),
    /metadata key 0 is not valid UTF-8/,
  );
  await rejects(
    header(0, 2, (b) => b.str('k').u32(typeId('uint8')).u8(1).str('k').u32(typeId('uint8')).u8(2)),
    /metadata k appears twice/,
  );
});

/** One tensor's directory entry by hand, after `metadata` entries. */
function tensorHeader(
  entry: { name?: string; dims: (number | bigint)[]; type: number; offset: number | bigint; nDims?: number },
  metadata: Record<string, GgufValue> = {},
  dataBytes = 64,
) {
  const b = new ByteBuilder().u32(0x46554747).u32(3).u64(1).u64(Object.keys(metadata).length);
  for (const [k, v] of Object.entries(metadata)) b.str(k).u32(typeId(v.type)).value(v);
  b.str(entry.name ?? 'w').u32(entry.nDims ?? entry.dims.length);
  for (const d of entry.dims) b.u64(d);
  b.u32(entry.type).u64(entry.offset);
  return b.pad(32).raw(new Uint8Array(dataBytes)).finish();
}

test('GGUF: tensor dims, types and offsets are checked against the file', async () => {
  await rejects(tensorHeader({ dims: [], type: GGML.F32, offset: 0 }), /tensor w has 0 dimensions, expected 1 to 4/);
  await rejects(tensorHeader({ dims: [1, 1, 1, 1, 1], type: GGML.F32, offset: 0 }), /tensor w has 5 dimensions/);
  await rejects(tensorHeader({ dims: [4, 0], type: GGML.F32, offset: 0 }), /tensor w has dimension 1 of size 0/);
  await rejects(
    tensorHeader({ dims: [2n ** 40n, 2n ** 40n], type: GGML.F32, offset: 0 }),
    /tensor w has dims \[1099511627776,1099511627776\], more elements than any file holds/,
  );
  await rejects(
    tensorHeader({ dims: [16], type: 99, offset: 0 }),
    /tensor w has ggml type 99, which this library does not know/,
  );
  await rejects(tensorHeader({ dims: [16], type: 38, offset: 0 }), /tensor w has ggml type 38 \(bitnet\.cpp's TL1/);
  await rejects(
    tensorHeader({ dims: [16], type: 39, offset: 0 }, { 'general.architecture': gv.str('bitnet') }),
    /tensor w has ggml type 39 \(bitnet\.cpp's TL2, a lookup-table layout .*use the model's I2_S file/,
  );
  await rejects(
    tensorHeader({ dims: [100, 2], type: GGML.TQ2_0, offset: 0 }),
    /tensor w has rows of 100 values, not a multiple of TQ2_0's 256-value blocks/,
  );
  await rejects(
    tensorHeader({ dims: [32], type: GGML.F32, offset: 64 }),
    /tensor w \(128 bytes at 64\) runs past the data section \(64 bytes\)/,
  );
  await rejects(
    tensorHeader({ dims: [4], type: GGML.F32, offset: 8 }),
    /tensor w's offset 8 is not a multiple of the alignment 32/,
  );
  await rejects(
    tensorHeader({ dims: [4], type: GGML.F32, offset: 2n ** 60n }),
    /tensor w's offset is 1152921504606846976, far beyond any real file/,
  );
  await rejects(
    tensorHeader({ name: 'x'.repeat(2000), dims: [4], type: GGML.F32, offset: 0 }),
    /tensor 0's name is 2000 bytes long, more than the 1024 allowed/,
  );
  const spec = validSpec();
  spec.tensors.push({ ...spec.tensors[0] });
  await rejects(writeGguf(spec), /tensor norm appears twice/);
});

test('GGUF: overlapping tensors and bad alignment values are refused', async () => {
  const b = new ByteBuilder().u32(0x46554747).u32(3).u64(2).u64(0);
  b.str('a').u32(1).u64(16).u32(GGML.F32).u64(0);
  b.str('b').u32(1).u64(16).u32(GGML.F32).u64(32);
  await rejects(b.pad(32).raw(new Uint8Array(128)).finish(), /tensors a and b overlap/);
  for (const [value, pattern] of [
    [gv.u32(48), /general\.alignment: is 48, expected a power of two/],
    [gv.u32(0), /general\.alignment: is 0, expected a power of two/],
    [gv.u64(32), /general\.alignment: expected a uint32, got uint64/],
  ] as const)
    await rejects(tensorHeader({ dims: [4], type: GGML.F32, offset: 0 }, { 'general.alignment': value }), pattern);
});
