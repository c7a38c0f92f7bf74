#!/usr/bin/env bash
# Mounts the small tmpfs filesystems of the disk-full tests (root needed) and prints the
# variable to export:  eval "$(sudo Scripts/mount-small-filesystems.sh)"
# One filesystem per test target, so that targets running at the same time do not fill each
# other's disk. Unmount with: Scripts/mount-small-filesystems.sh --unmount
set -euo pipefail
root=${CLIP_TEST_SMALL_FS:-/tmp/swift-clip-small-fs}
names=(safetensors photolibrary modelhub)
if [ "${1:-}" = --unmount ]; then
    for name in "${names[@]}"; do mountpoint -q "$root/$name" && umount "$root/$name"; done
    exit 0
fi
for name in "${names[@]}"; do
    mkdir -p "$root/$name"
    # Where mounting is not allowed the disk-full tests are skipped, not failed.
    mountpoint -q "$root/$name" || mount -t tmpfs -o size=4m,mode=1777 "swift-clip-$name" "$root/$name" \
        || echo "mount-small-filesystems: cannot mount $root/$name; the disk-full tests will be skipped" >&2
done
echo "export CLIP_TEST_SMALL_FS=$root"
