#!/usr/bin/env bash
# Builds the DocC documentation of the library targets with swift-docc-plugin and fails on any
# documentation warning (a broken ``link``, an undocumented or misnamed parameter, ...).
#
#   Scripts/build-docs.sh [--output DIR] [TARGET...]
#
# Default: every library target, archives written to .build/documentation/<Target>.doccarchive.
# CLIP has a catalog (Sources/CLIP/CLIP.docc: landing page and articles); the other targets are
# documented from their `///` comments alone.
set -euo pipefail
cd "$(dirname "$0")/.."

output=.build/documentation
if [ "${1:-}" = "--output" ]; then
    output="${2:?--output needs a directory}"
    shift 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(TensorCore SafeTensors TextTokenizer ImageProcessing CLIPModels ModelHub CLIP CLIPDemoModel PhotoLibrary)
fi

mkdir -p "$output"
target_options=()
for target in "${targets[@]}"; do target_options+=(--target "$target"); done
log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
swift package --allow-writing-to-directory "$output" generate-documentation \
    "${target_options[@]}" --output-path "$output" --warnings-as-errors 2>&1 | tee "$log" || status=$?

# DocC prints its diagnostics at the start of a line ("warning: ..." / "error: ..."); compiler
# diagnostics of the build step start with a file path and are left to the build.
if [ "$status" -ne 0 ] || grep -qE '^(warning|error):' "$log"; then
    echo "build-docs: documentation has warnings or errors (see above)" >&2
    exit 1
fi
echo "build-docs: ${targets[*]}: no warnings; archives in $output"
