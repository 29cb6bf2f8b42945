// Minimal assertions usable both under node:test and in the Chromium test page.
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export function checkEqualArrays(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  check(actual.length === expected.length, `${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) throw new Error(`${what}: [${i}] is ${actual[i]}, expected ${expected[i]}`);
  }
}

/** |a - e| <= abs + rel * |e| element-wise. */
export function checkClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  rel = 1e-5,
  abs = 1e-6,
): void {
  check(actual.length === expected.length, `${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= abs + rel * Math.abs(expected[i])))
      throw new Error(`${what}: [${i}] is ${actual[i]}, expected ${expected[i]}`);
  }
}

export async function checkRejects(run: () => unknown, errorName: string, messagePart: RegExp): Promise<void> {
  try {
    await run();
  } catch (err) {
    const e = err as Error;
    check(e.name === errorName, `expected ${errorName}, got ${e.name}: ${e.message}`);
    check(messagePart.test(e.message), `error message "${e.message}" does not match ${messagePart}`);
    return;
  }
  throw new Error(`expected ${errorName} matching ${messagePart}, nothing was thrown`);
}
