#!/usr/bin/env bash
# Installs the system libraries swift-clip links against, on Debian or Ubuntu:
# OpenBLAS (+ LAPACKE) for Tensor's matrix products, oneDNN for the model's, libjpeg-turbo and libpng for image decoding,
# SQLite for the photo index, pkg-config to find them. Idempotent; uses sudo when not run as root.
set -euo pipefail
packages=(libopenblas-dev liblapacke-dev libdnnl-dev libjpeg-dev libpng-dev zlib1g-dev libsqlite3-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
