import { BitNetError, IntegrityError, ModelFormatError } from '../errors.ts';

/** Random access to the bytes of one file, wherever it lives (memory, disk, HTTP). */
export interface ByteSource {
  /** The file's name as shown in errors. */
  readonly name: string;
  size(): Promise<number>;
  /** Exactly `length` bytes from `offset`; rejects if the file is shorter. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/**
 * Whether `name` can only mean a file directly in a model's directory: letters, digits, `_`, `-`
 * and `.`, at most 128 of them, not starting with a dot (so never `.`, `..` or a hidden file). A
 * name from a model file is checked with this before it is joined to a path or URL.
 */
export function isPlainFileName(name: unknown): name is string {
  return typeof name === 'string' && /^[\w-][\w.-]{0,127}$/.test(name);
}

/** A set of named files: a checkpoint directory on disk, or a base URL; or one model file (a .gguf). */
export interface ModelFiles {
  /** Where the files come from, for messages: the directory, or the one file's path or URL. */
  readonly location: string;
  /**
   * Set when the location names one file rather than a directory (a .gguf checkpoint): that file's
   * name, the only one these files have.
   */
  readonly singleFile?: string;
  has(file: string): Promise<boolean>;
  open(file: string): ByteSource;
  /** A text file (config, tokenizer) of at most MAX_TEXT_FILE_BYTES; a larger one is a ModelFormatError. */
  readText(file: string): Promise<string>;
  /**
   * A whole file whose manifest says it holds `size` bytes, reporting bytes as they arrive (shards).
   * Reading stops at `size`: a longer or endless file costs no more memory than a right one, and
   * any other size is an IntegrityError (see wrongSize).
   */
  download(file: string, size: number, onBytes?: (bytes: number) => void, signal?: AbortSignal): Promise<Uint8Array>;
}

/** Where `file` of `files` is, for messages: the URL or path. */
export function fileLocation(files: ModelFiles, file: string): string {
  if (file === files.singleFile) return files.location;
  return files.location.endsWith('/') ? `${files.location}${file}` : `${files.location}/${file}`;
}

/**
 * Text files of a model are read up to this size, since nothing declares theirs: tokenizer.json,
 * the largest, is 9 MB for Llama 3 and 33 MB for Gemma 3's 262k vocabulary.
 */
export const MAX_TEXT_FILE_BYTES = 64 * 2 ** 20;

/** The error for a text file over MAX_TEXT_FILE_BYTES. */
export function textFileTooLarge(name: string): ModelFormatError {
  return new ModelFormatError(name, `larger than ${MAX_TEXT_FILE_BYTES} bytes: not a model's config or tokenizer file`);
}

/** The error for a shard of `actual` bytes (undefined: more than `expected`, reading stopped there) where its manifest says `expected`. */
export function wrongSize(name: string, expected: number, actual?: number): IntegrityError {
  if (actual === undefined)
    return new IntegrityError(`${name}: more than the ${expected} bytes the manifest says (reading stopped there)`);
  return new IntegrityError(
    `${name}: ${actual} bytes, the manifest says ${expected}${actual < expected ? ' (truncated?)' : ''}`,
  );
}

/**
 * Collects `chunks` until they end or pass `limit` bytes. Past the limit reading stops (the rest
 * is never fetched), so an oversized or endless body costs at most `limit` bytes; `complete` is
 * false then. `onBytes` hears of every byte kept.
 */
export async function readUpTo(
  chunks: AsyncIterable<Uint8Array>,
  limit: number,
  onBytes?: (bytes: number) => void,
): Promise<{ bytes: Uint8Array; complete: boolean }> {
  const parts: Uint8Array[] = [];
  let total = 0;
  let complete = true;
  for await (const chunk of chunks) {
    const keep = Math.min(chunk.byteLength, limit - total);
    parts.push(chunk.subarray(0, keep));
    total += keep;
    onBytes?.(keep);
    if (keep < chunk.byteLength) {
      complete = false;
      break;
    }
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  return { bytes, complete };
}

/** Network trouble reaching a model file (offline, CORS, HTTP status). */
export class FetchError extends BitNetError {
  override name = 'FetchError';
  readonly url: string;
  readonly status?: number;
  constructor(url: string, message: string, status?: number, options?: { cause?: unknown }) {
    super('fetch-failed', `${url}: ${message}`, options);
    this.url = url;
    this.status = status;
  }
}

/**
 * One file (`source`, whose name is its path or URL) as ModelFiles named `fileName`: what a location
 * that names a .gguf file gives. Every read is bounded by the file's size, known before it starts.
 */
export function singleFileModel(source: ByteSource, fileName: string): ModelFiles {
  const only = (file: string): ByteSource => {
    if (file !== fileName) throw new ModelFormatError(source.name, `is one file, ${fileName}; it holds no ${file}`);
    return source;
  };
  return {
    location: source.name,
    singleFile: fileName,
    has: async (file) => file === fileName,
    open: only,
    async readText(file) {
      const size = await only(file).size();
      if (size > MAX_TEXT_FILE_BYTES) throw textFileTooLarge(source.name);
      return new TextDecoder().decode(await source.read(0, size));
    },
    async download(file, size, onBytes) {
      const actual = await only(file).size();
      if (actual !== size) throw wrongSize(source.name, size, actual);
      const bytes = await source.read(0, size);
      onBytes?.(size);
      return bytes;
    },
  };
}

export function memorySource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: async () => bytes.byteLength,
    read: async (offset, length) => {
      if (offset + length > bytes.byteLength)
        throw new ModelFormatError(name, `read past the end (${offset}+${length} > ${bytes.byteLength})`);
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** The page's origin when `url` is on another one (only then can CORS be the cause of a failure). */
function foreignOrigin(url: string): string | undefined {
  const here = (globalThis as { location?: Location }).location;
  if (!here?.origin || here.origin === 'null') return undefined;
  return new URL(url, here.href).origin !== here.origin ? here.origin : undefined;
}

/**
 * Why a fetch failed without any answer. Browsers hide the cause (offline, unreachable host and a
 * missing CORS header all give "Failed to fetch"), so a cross-origin failure is probed once more
 * with an opaque no-cors HEAD request: if that gets through, the server is there and CORS is the cause.
 */
async function explainNetworkFailure(url: string, cause: unknown): Promise<string> {
  if (typeof navigator !== 'undefined' && 'onLine' in navigator && !navigator.onLine)
    return 'the browser is offline: connect to the network and try again';
  const origin = foreignOrigin(url);
  if (
    origin &&
    (await fetch(url, { method: 'HEAD', mode: 'no-cors' }).then(
      () => true,
      () => false,
    ))
  ) {
    return `the server answered but does not allow cross-origin requests (CORS) from ${origin}: it must send Access-Control-Allow-Origin and allow the Range header, or serve the model from this page's origin`;
  }
  return `the server could not be reached (${(cause as Error)?.message ?? String(cause)}): check the address and the network`;
}

async function fetchOrExplain(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (cause) {
    if ((cause as Error)?.name === 'AbortError')
      throw new BitNetError('aborted', `${url}: the download was cancelled`, { cause });
    throw new FetchError(url, await explainNetworkFailure(url, cause), undefined, { cause });
  }
}

/** A response's body as chunks; stopping early cancels the rest of the download. */
async function* bodyChunks(res: Response, url: string): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  const reader = res.body.getReader();
  let got = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      got += value.byteLength;
      yield value;
    }
  } catch (cause) {
    if ((cause as Error)?.name === 'AbortError')
      throw new BitNetError('aborted', `${url}: the download was cancelled`, { cause });
    throw new FetchError(url, `the download broke off after ${got} bytes`, undefined, { cause });
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** A file over HTTP, read with Range requests (Hugging Face and most static hosts support them). */
export function httpSource(url: string): ByteSource {
  let knownSize: Promise<number> | undefined;
  return {
    name: url,
    size() {
      knownSize ??= (async () => {
        const res = await fetchOrExplain(url, { headers: { Range: 'bytes=0-0' } });
        if (!res.ok) throw new FetchError(url, `HTTP ${res.status} ${res.statusText}`, res.status);
        await res.body?.cancel();
        const range = res.headers.get('Content-Range');
        const total = range ? Number(range.split('/')[1]) : Number(res.headers.get('Content-Length'));
        if (!Number.isSafeInteger(total) || total < 0)
          throw new FetchError(url, 'the server reports no file size (no Content-Range or Content-Length)');
        return total;
      })();
      return knownSize;
    },
    async read(offset, length) {
      if (length === 0) return new Uint8Array(0);
      const res = await fetchOrExplain(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
      if (!res.ok) throw new FetchError(url, `HTTP ${res.status} ${res.statusText}`, res.status);
      // A server that ignores Range sends the whole file with 200: read it only up to the range's end.
      const skip = res.status === 206 ? 0 : offset;
      const { bytes } = await readUpTo(bodyChunks(res, url), skip + length);
      if (bytes.byteLength !== skip + length)
        throw new FetchError(
          url,
          `expected ${length} bytes at ${offset}, got ${Math.max(0, bytes.byteLength - skip)} (truncated?)`,
        );
      return bytes.subarray(skip);
    },
  };
}

/** Files under a base URL (a Hugging Face `resolve/main/` URL, or any static directory). */
export function httpFiles(baseUrl: string): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    location: base,
    async has(file) {
      const res = await fetchOrExplain(base + file, { method: 'HEAD' });
      // Single-page-app hosts answer every path with their HTML page: that is not a model file.
      return res.ok && !(res.headers.get('Content-Type') ?? '').startsWith('text/html');
    },
    open: (file) => httpSource(base + file),
    async readText(file) {
      const url = base + file;
      const res = await fetchOrExplain(url);
      if (!res.ok) throw new FetchError(url, `HTTP ${res.status} ${res.statusText}`, res.status);
      const { bytes, complete } = await readUpTo(bodyChunks(res, url), MAX_TEXT_FILE_BYTES);
      if (!complete) throw textFileTooLarge(url);
      return new TextDecoder().decode(bytes);
    },
    async download(file, size, onBytes, signal) {
      const url = base + file;
      const res = await fetchOrExplain(url, { signal });
      if (!res.ok) throw new FetchError(url, `HTTP ${res.status} ${res.statusText}`, res.status);
      const { bytes, complete } = await readUpTo(bodyChunks(res, url), size, onBytes);
      if (!complete) throw wrongSize(url, size);
      if (bytes.byteLength !== size) throw wrongSize(url, size, bytes.byteLength);
      return bytes;
    },
  };
}
