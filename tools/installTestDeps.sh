#!/usr/bin/env bash
# Installs the system packages the tests need, when they are missing: Debian's Chromium (the
# browser the Playwright suites drive, and SwiftShader, a CPU Vulkan driver without shader-f16),
# the Vulkan loader, and Mesa 25's lavapipe (a CPU Vulkan driver with shader-f16; Debian 12's own
# Mesa 22 is too old for Dawn, so it comes from bookworm-backports). Prints each command it runs.
# Where it cannot install (not Debian 12, no root and no sudo), it prints the commands and stops.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ] || missing+=(chromium)
{ ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q 'libvulkan\.so\.1' || missing+=(libvulkan1)
lavapipe_ok() {
  ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || return 1
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null) || return 0 # not a dpkg system: trust the ICD file
  dpkg --compare-versions "$v" ge 25
}
lavapipe_ok || missing+=(mesa-vulkan-drivers)
[ ${#missing[@]} -eq 0 ] && exit 0

backports='deb http://deb.debian.org/debian bookworm-backports main'
backports_list=/etc/apt/sources.list.d/bookworm-backports.list
commands=()
if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
  commands+=("echo '$backports' > $backports_list")
fi
commands+=("apt-get update")
base=()
for p in "${missing[@]}"; do [ "$p" = mesa-vulkan-drivers ] || base+=("$p"); done
[ ${#base[@]} -eq 0 ] || commands+=("DEBIAN_FRONTEND=noninteractive apt-get install -y ${base[*]}")
[[ " ${missing[*]} " == *" mesa-vulkan-drivers "* ]] && commands+=("DEBIAN_FRONTEND=noninteractive apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1")

stop() {
  echo "installTestDeps.sh: the tests need ${missing[*]}, and $1." >&2
  echo "Run these as root (Debian 12), then the tests again:" >&2
  for c in "${commands[@]}"; do echo "  $c" >&2; done
  exit 1
}
debian_version=$(cat /etc/debian_version 2>/dev/null || true)
[[ "$debian_version" == 12* || "$debian_version" == bookworm* ]] \
  || stop "this is not Debian 12 (bookworm); on another system install Chromium, the Vulkan loader and Mesa 25 or newer's lavapipe with its own package manager"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  stop "this user is not root and cannot use sudo without a password"
fi
echo "installTestDeps.sh: installing ${missing[*]}"
for c in "${commands[@]}"; do
  echo "+ $c"
  "${sudo[@]}" bash -c "$c"
done
