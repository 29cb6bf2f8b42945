// Serves model files to the browser tests, with faults on demand: a flipped byte (once), 404,
// a truncated body, a body 1 MiB longer than the file, an endless body, or a delay, per file name. Also serves a Hugging Face checkpoint in Hugging
// Face's URL layout (/hf/<org>/<name>/resolve/main/<file>), with Range requests, and the GGUF fixtures so.
import { readFileSync, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

export type Fault = { mode: 'flip-once' | '404' | 'truncate' | 'oversize' | 'endless' | 'delay'; ms?: number };

const root = fileURLToPath(new URL('..', import.meta.url));
const ROUTES: [RegExp, string][] = [
  // also under any prefix (/served/a/b/en-11m/): a model URL as long as a test needs
  [/^\/served\/(?:[\w.-]+\/)*en-11m\/(.+)$/, `${root}public/models/bitnet-b1.58-en-11m/`],
  [/^\/hf\/test-org\/en-11m\/resolve\/main\/(.+)$/, `${root}test/fixtures/bitnet-b1.58-en-11m/hf/`],
  [/^\/hf\/test-org\/tiny-a-gguf\/resolve\/main\/(.+)$/, `${root}test/fixtures/gguf/`],
];

/** A running server of model files: its base URL (no trailing slash), and how to stop it. */
export interface ServedFiles {
  url: string;
  close(): void;
}

export class ModelFilesServer {
  readonly faults = new Map<string, Fault>();
  /** Requests seen per path (GET and HEAD). */
  readonly requests: string[] = [];

  /** These files on a server of their own (Node tests) on a free local port, 404 for anything else. */
  async listen(): Promise<ServedFiles> {
    const server = createServer((req, res) =>
      this.handle(req, res, () => {
        res.statusCode = 404;
        res.end();
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
  }

  handle = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    for (const [re, dir] of ROUTES) {
      const m = re.exec(url.pathname);
      if (!m) continue;
      this.requests.push(`${req.method} ${url.pathname}`);
      const file = m[1];
      void this.serve(req, res, dir + file, file);
      return;
    }
    next();
  };

  private async serve(req: IncomingMessage, res: ServerResponse, path: string, file: string): Promise<void> {
    const fault = this.faults.get(file);
    if (fault?.mode === 'delay') await new Promise((r) => setTimeout(r, fault.ms ?? 1000));
    if (fault?.mode === '404' || file.includes('..') || !existsSync(path)) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    let body: Uint8Array = readFileSync(path);
    if (fault?.mode === 'flip-once' && req.method === 'GET') {
      body = body.slice();
      body[Math.floor(body.length / 2)] ^= 0x10;
      this.faults.delete(file);
    }
    res.setHeader('Content-Type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
    res.setHeader('Accept-Ranges', 'bytes');
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (range) {
      const [start, end] = [Number(range[1]), Math.min(Number(range[2]), body.length - 1)];
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${body.length}`);
      body = body.subarray(start, end + 1);
    }
    if (fault?.mode === 'truncate') body = body.subarray(0, Math.floor(body.length / 3));
    if (fault?.mode === 'oversize') body = Buffer.concat([body, new Uint8Array(2 ** 20)]);
    if (fault?.mode === 'endless' && req.method === 'GET') {
      this.sendForever(res, body);
      return;
    }
    res.setHeader('Content-Length', String(body.length));
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Bytes sent so far by endless bodies: a client that stops reading keeps this small. */
  endlessBytesSent = 0;

  /** The file, then zeros without end, as fast as the client reads, until it hangs up. */
  private sendForever(res: ServerResponse, first: Uint8Array): void {
    const zeros = new Uint8Array(2 ** 16);
    const more = () => {
      while (!res.destroyed) {
        this.endlessBytesSent += zeros.length;
        if (!res.write(zeros)) return void res.once('drain', more);
      }
    };
    res.write(first);
    this.endlessBytesSent += first.length;
    more();
  }

  shardRequests(prefix = '/served/en-11m/'): string[] {
    return this.requests.filter((r) => r.startsWith(`GET ${prefix}shard-`)).map((r) => r.slice(`GET ${prefix}`.length));
  }
}
