// The WGSL composer (includes when a shader is imported, slots when a kernel is created) and the
// binding names ComputeKernel reads from a kernel's WGSL. Pure text: no GPU.
import { test } from 'node:test';
import { composeWgsl, fillSlots } from '../src/gpu/shaderComposer.ts';
import { wgslBindings } from '../src/gpu/computeKernel.ts';
import { check, checkRejects } from './check.ts';

const ROOT = 'file:///shaders/';

/** composeWgsl over in-memory files named relative to ROOT; also returns the files it read. */
function compose(files: Record<string, string>, entry: string): { text: string; read: string[] } {
  const read: string[] = [];
  const text = composeWgsl(new URL(entry, ROOT).href, (url) => {
    const name = url.slice(ROOT.length);
    if (!(name in files)) return undefined;
    read.push(name);
    return files[name];
  });
  return { text, read };
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

test('includes expand in place, nested ones relative to their file, each file once', () => {
  const { text, read } = compose(
    {
      'kernel.wgsl': [
        '// #include "lib/a.wgsl"',
        '// #include "lib/b.wgsl"',
        '// #include "lib/a.wgsl"',
        'fn main() {}',
      ].join('\n'),
      'lib/a.wgsl': 'const A = 1u;',
      'lib/b.wgsl': ['// #include "a.wgsl"', '// #include "c.wgsl"', 'const B = A;'].join('\n'),
      'lib/c.wgsl': 'const C = 3u;',
    },
    'kernel.wgsl',
  );
  const got = lines(text);
  const expected = ['const A = 1u;', 'const C = 3u;', 'const B = A;', 'fn main() {}'];
  check(JSON.stringify(got) === JSON.stringify(expected), `composed ${JSON.stringify(got)}`);
  check(
    JSON.stringify(read) === JSON.stringify(['kernel.wgsl', 'lib/a.wgsl', 'lib/b.wgsl', 'lib/c.wgsl']),
    `each file read once, got ${read}`,
  );
});

test('enable and requires directives move to the top of the module, once each', () => {
  const { text } = compose(
    {
      'kernel.wgsl': ['// a kernel', '// #include "lib/s.wgsl"', 'enable f16;', 'fn main() {}'].join('\n'),
      'lib/s.wgsl': ['enable subgroups;', 'requires packed_4x8_integer_dot_product;', 'enable f16; // again'].join(
        '\n',
      ),
    },
    'kernel.wgsl',
  );
  const got = lines(text);
  const expected = [
    'enable subgroups;',
    'requires packed_4x8_integer_dot_product;',
    'enable f16;',
    '// a kernel',
    'fn main() {}',
  ];
  check(JSON.stringify(got) === JSON.stringify(expected), `composed ${JSON.stringify(got)}`);
});

test('a missing include names the including file and the path', async () => {
  await checkRejects(
    () =>
      compose({ 'kernel.wgsl': '// #include "lib/a.wgsl"', 'lib/a.wgsl': '// #include "gone.wgsl"' }, 'kernel.wgsl'),
    'ShaderError',
    /\/shaders\/lib\/a\.wgsl: #include "gone\.wgsl": no such file \(\/shaders\/lib\/gone\.wgsl\)/,
  );
  await checkRejects(() => compose({}, 'kernel.wgsl'), 'ShaderError', /shader \/shaders\/kernel\.wgsl does not exist/);
});

test('an included file may declare neither a binding nor an entry point', async () => {
  await checkRejects(
    () =>
      compose(
        {
          'kernel.wgsl': '// #include "lib/u.wgsl"',
          'lib/u.wgsl': '// no @binding(3) in comments counts\n@group(0) @binding(1) var<uniform> step: Step;',
        },
        'kernel.wgsl',
      ),
    'ShaderError',
    /lib\/u\.wgsl declares a binding/,
  );
  await checkRejects(
    () =>
      compose(
        { 'kernel.wgsl': '// #include "k.wgsl"', 'k.wgsl': '@compute @workgroup_size(1) fn main() {}' },
        'kernel.wgsl',
      ),
    'ShaderError',
    /k\.wgsl has an entry point/,
  );
  const { text } = compose(
    { 'kernel.wgsl': '// #include "lib/u.wgsl"', 'lib/u.wgsl': '// snippets mention @binding(1) in comments' },
    'kernel.wgsl',
  );
  check(text.includes('@binding(1) in comments'), 'a comment naming a binding is no binding');
});

test('slots take the text their kernel is created with; every slot and filler must match', async () => {
  const source = ['enable f16;', 'const A = 1u;', '// #slot dot', 'fn main() {}'].join('\n');
  const filled = lines(fillSlots('k', source, { dot: 'enable subgroups;\nenable f16;\nfn dot() {}' }));
  const expected = ['enable subgroups;', 'enable f16;', 'const A = 1u;', 'fn dot() {}', 'fn main() {}'];
  check(JSON.stringify(filled) === JSON.stringify(expected), `filled ${JSON.stringify(filled)}`);
  await checkRejects(() => fillSlots('k', source), 'ShaderError', /kernel k: nothing fills its slot "dot"/);
  await checkRejects(
    () => fillSlots('k', source, { dot: '', other: '' }),
    'ShaderError',
    /kernel k has no slot "other" to fill/,
  );
  await checkRejects(
    () => fillSlots('k', '// #include "lib/a.wgsl"\nfn main() {}'),
    'ShaderError',
    /kernel k: its WGSL still has the line "\/\/ #include "lib\/a\.wgsl""/,
  );
});

test('a kernel binds by the names its WGSL declares, in group 0 only', async () => {
  const bindings = wgslBindings(
    'k',
    [
      '@group(0) @binding(0) var<uniform> p: Params;',
      '// @group(0) @binding(7) var<storage, read> commented: array<f32>;',
      '@binding(2) @group(0)',
      'var<storage, read_write> y: array<f32>;',
      '@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;',
      'var<workgroup> tile: array<f32, 64>;',
    ].join('\n'),
  );
  check(
    JSON.stringify([...bindings]) ===
      JSON.stringify([
        ['p', 0],
        ['y', 2],
        ['w', 1],
      ]),
    `bindings ${JSON.stringify([...bindings])}`,
  );
  await checkRejects(
    () => wgslBindings('k', '@group(1) @binding(0) var<uniform> q: Q;'),
    'ShaderError',
    /kernel k: binding q is in @group\(1\)/,
  );
});
