import { BitNetError, ModelFormatError } from '../errors.ts';

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

/** A set of named files: a checkpoint directory on disk, or a base URL. */
export interface ModelFiles {
  /** Where the files come from, for messages. */
  readonly location: string;
  has(file: string): Promise<boolean>;
  open(file: string): ByteSource;
  readText(file: string): Promise<string>;
  /** The whole file, reporting bytes as they arrive (downloads of shards). */
  download(file: string, onBytes?: (bytes: number) => void, signal?: AbortSignal): Promise<Uint8Array>;
}

/** Network trouble reaching a model file (offline, CORS, HTTP status). */
export class FetchError extends BitNetError {
  readonly url: string;
  readonly status?: number;
  constructor(url: string, message: string, status?: number, options?: { cause?: unknown }) {
    super('fetch-failed', `${url}: ${message}`, options);
    this.url = url;
    this.status = status;
  }
}

export function memorySource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: async () => bytes.byteLength,
    read: async (offset, length) => {
      if (offset + length > bytes.byteLength) throw new ModelFormatError(name, `read past the end (${offset}+${length} > ${bytes.byteLength})`);
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
  if (typeof navigator !== 'undefined' && 'onLine' in navigator && !navigator.onLine) return 'the browser is offline: connect to the network and try again';
  const origin = foreignOrigin(url);
  if (origin && (await fetch(url, { method: 'HEAD', mode: 'no-cors' }).then(() => true, () => false))) {
    return `the server answered but does not allow cross-origin requests (CORS) from ${origin}: it must send Access-Control-Allow-Origin and allow the Range header, or serve the model from this page's origin`;
  }
  return `the server could not be reached (${(cause as Error)?.message ?? String(cause)}): check the address and the network`;
}

async function fetchOrExplain(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (cause) {
    if ((cause as Error)?.name === 'AbortError') throw new BitNetError('aborted', `${url}: the download was cancelled`, { cause });
    throw new FetchError(url, await explainNetworkFailure(url, cause), undefined, { cause });
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
        if (!Number.isSafeInteger(total) || total < 0) throw new FetchError(url, 'the server reports no file size (no Content-Range or Content-Length)');
        return total;
      })();
      return knownSize;
    },
    async read(offset, length) {
      if (length === 0) return new Uint8Array(0);
      const res = await fetchOrExplain(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
      if (!res.ok) throw new FetchError(url, `HTTP ${res.status} ${res.statusText}`, res.status);
      const body = new Uint8Array(await res.arrayBuffer());
      // A server that ignores Range sends the whole file with 200.
      const bytes = res.status === 206 ? body : body.subarray(offset, offset + length);
      if (bytes.byteLength !== length) throw new FetchError(url, `expected ${length} bytes at ${offset}, got ${bytes.byteLength} (truncated?)`);
      return bytes;
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
      const res = await fetchOrExplain(base + file);
      if (!res.ok) throw new FetchError(base + file, `HTTP ${res.status} ${res.statusText}`, res.status);
      return res.text();
    },
    async download(file, onBytes, signal) {
      const url = base + file;
      const res = await fetchOrExplain(url, { signal });
      if (!res.ok) throw new FetchError(url, `HTTP ${res.status} ${res.statusText}`, res.status);
      if (!res.body) return new Uint8Array(await res.arrayBuffer());
      const parts: Uint8Array[] = [];
      let total = 0;
      const reader = res.body.getReader();
      try {
        while (true) {
          const { done, value } = await reader.read();
          if (done) break;
          parts.push(value);
          total += value.byteLength;
          onBytes?.(value.byteLength);
        }
      } catch (cause) {
        throw new FetchError(url, `the download broke off after ${total} bytes`, undefined, { cause });
      }
      const out = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.byteLength;
      }
      return out;
    },
  };
}
