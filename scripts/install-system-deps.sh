#!/usr/bin/env bash
# Installs the system packages WebGPU needs on this project's machines (Debian 12), only when
# they are missing:
#   - Mesa ≥ 24 Vulkan drivers (lavapipe), from bookworm-backports: Dawn (the `webgpu` npm
#     package) refuses Debian 12's own Mesa 22, so without these Node has no WebGPU adapter.
#   - Debian's chromium, for the Playwright tests and the benchmark. Playwright's own browser
#     download is never used.
# Safe to run repeatedly; it does nothing when both are present.
set -euo pipefail

need_mesa=0
mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if [ -z "$mesa_version" ] || dpkg --compare-versions "$mesa_version" lt 24; then need_mesa=1; fi
need_chromium=0
[ -x /usr/bin/chromium ] || need_chromium=1

if [ "$need_mesa" = 0 ] && [ "$need_chromium" = 0 ]; then exit 0; fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "Missing system packages, and this script can only install them as root on Debian:" >&2
  [ "$need_mesa" = 1 ] && echo "  - mesa-vulkan-drivers ≥ 24 (Debian 12: from bookworm-backports)" >&2
  [ "$need_chromium" = 1 ] && echo "  - chromium (/usr/bin/chromium)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ "$need_mesa" = 1 ] && grep -q bookworm /etc/os-release; then
  cat > /etc/apt/sources.list.d/backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
apt-get update -q
if [ "$need_mesa" = 1 ]; then
  if grep -q bookworm /etc/os-release; then
    apt-get install -y -q -t bookworm-backports mesa-vulkan-drivers
  else
    apt-get install -y -q mesa-vulkan-drivers
  fi
fi
if [ "$need_chromium" = 1 ]; then apt-get install -y -q chromium; fi
