#!/usr/bin/env bash
# Runs the Node test suite once per CPU Vulkan driver, so both shader paths are covered:
#   SwiftShader (from Debian's chromium package): no shader-f16;
#   lavapipe (Mesa 25, mesa-vulkan-drivers from bookworm-backports): has shader-f16.
# A driver that is not installed fails the run: a skipped driver would hide a whole path.
set -euo pipefail
cd "$(dirname "$0")/.."
swiftshader=/usr/lib/chromium/vk_swiftshader_icd.json
lavapipe=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -n 1 || true)
[ -f "$swiftshader" ] || { echo "testNode.sh: SwiftShader not found at $swiftshader (apt-get install chromium libvulkan1)" >&2; exit 1; }
[ -n "$lavapipe" ] || { echo "testNode.sh: lavapipe not found (apt-get install -t bookworm-backports mesa-vulkan-drivers)" >&2; exit 1; }
files=$(ls test/*.test.ts)
for driver in "swiftshader:$swiftshader" "llvmpipe:$lavapipe"; do
  name=${driver%%:*}
  echo "== Node tests on $name"
  VK_ICD_FILENAMES=${driver#*:} BITNET_EXPECT_ADAPTER=$name \
    node --import ./tools/register.js --test --test-concurrency=1 $files
done
echo "== the npm package (once)"
VK_ICD_FILENAMES=$swiftshader node --import ./tools/register.js --test test/package.pack.ts
