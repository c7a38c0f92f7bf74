#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer and/or ThreadSanitizer, each in its own scratch
# folder (.build-asan, .build-tsan), so the plain debug build is left alone.
#
#   Scripts/test-sanitizers.sh [address|thread|both] [--server] [swift test options, e.g. --filter X]
#
# --server runs the HTTP server's tests instead (trait Server: CLIPServerTests, with Hummingbird
# and NIO instrumented too), in .build-asan-server / .build-tsan-server.
#
# Under ThreadSanitizer the kernels' parallel loops announce libgomp's region barriers to TSan
# (TensorCore's ThreadSanitizerEdges), since libgomp is not instrumented; oneDNN and OpenBLAS
# are not instrumented either, so TSan checks swift-clip's own code: the loops, tasks and threads
# sharing models, the batcher's queue and thread, caches, pools, the Hub client's downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-both}
shift || true
server=()
suffix=
if [ "${1:-}" = --server ]; then
    shift
    server=(--traits Server --filter CLIPServerTests)
    suffix=-server
fi
# The disk-full tests need their small filesystems (root); without them they are skipped.
if [ -z "${CLIP_TEST_SMALL_FS:-}" ] && [ "$(id -u)" -eq 0 ]; then
    eval "$(CLIP_TEST_SMALL_FS=/tmp/swift-clip-small-fs ./Scripts/mount-small-filesystems.sh)"
    export CLIP_TEST_SMALL_FS
fi
export SWIFT_BACKTRACE=enable=no
if [ "$which" = address ] || [ "$which" = both ]; then
    echo "== swift test --sanitize=address" >&2
    # Leak detection is off for the suite: LeakSanitizer does not see references Swift keeps in
    # the spare bits of enum payloads (Data's representation, for one), so it reports live test
    # data as leaked; the fuzzers (Fuzz/run.sh) check leaks per input instead.
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
        swift test --sanitize=address --scratch-path .build-asan$suffix "${server[@]}" "$@"
fi
if [ "$which" = thread ] || [ "$which" = both ]; then
    echo "== swift test --sanitize=thread" >&2
    # CLIP_EXPECT_TSAN: a test checks that TensorCore found TSan's annotations in this process.
    CLIP_EXPECT_TSAN=1 TSAN_OPTIONS=second_deadlock_stack=1 \
        swift test --sanitize=thread --scratch-path .build-tsan$suffix "${server[@]}" "$@"
fi
