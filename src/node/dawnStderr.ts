// Dawn's adapter discovery, without the two warnings it prints on lavapipe and AMD's RADV.
import { closeSync, constants, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Printed by Dawn when a Vulkan driver offers more dynamic buffers than Dawn supports (lavapipe,
 * RADV). Harmless: the library uses no dynamic offsets.
 */
const LIMIT_CLAMP_WARNING =
  /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\n/gm;

/**
 * A second descriptor for stderr, or undefined where it cannot be reopened: not Linux, stdio
 * closed, or a socket (the socket pairs Node's child_process gives a child by default).
 */
function reopenStderr(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    fstatSync(0);
    fstatSync(1);
    return openSync('/proc/self/fd/2', constants.O_WRONLY | constants.O_APPEND | constants.O_NOCTTY);
  } catch {
    return undefined;
  }
}

function readCaptured(fd: number): string {
  const size = fstatSync(fd).size;
  const bytes = Buffer.alloc(size);
  let done = 0;
  while (done < size) done += readSync(fd, bytes, done, size - done, done);
  return bytes.toString('utf8');
}

/**
 * Runs `call` (synchronous: Dawn discovers adapters inside requestAdapter() before it returns its
 * promise) with descriptor 2 pointed at a temporary file, then puts stderr back and passes on
 * whatever was written there except Dawn's limit warnings, which it prints with fprintf, out of
 * JavaScript's reach. Node has no dup2, but POSIX gives the lowest free descriptor to the next
 * open: with 0 and 1 open, closing 2 and opening a file puts the file at 2. Where stderr cannot be
 * reopened, `call` runs as it is.
 */
export function withoutDawnLimitWarnings<T>(call: () => T): T {
  const stderr = reopenStderr();
  if (stderr === undefined) return call();
  const capturePath = path.join(tmpdir(), `bitnet-webgpu-dawn-${process.pid}-${Date.now()}.txt`);
  closeSync(2);
  const capture = openSync(capturePath, 'w+');
  unlinkSync(capturePath);
  try {
    return call();
  } finally {
    const captured = readCaptured(capture);
    closeSync(capture);
    openSync(`/proc/self/fd/${stderr}`, constants.O_WRONLY | constants.O_APPEND | constants.O_NOCTTY);
    closeSync(stderr);
    const rest = captured.replace(LIMIT_CLAMP_WARNING, '');
    if (rest) process.stderr.write(rest);
  }
}
