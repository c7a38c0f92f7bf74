#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer and/or ThreadSanitizer, each in its own scratch
# folder (.build-asan, .build-tsan), so the plain debug build is left alone.
#
#   Scripts/test-sanitizers.sh [address|thread|both] [swift test options, e.g. --filter X]
#
# ThreadSanitizer runs with one compute thread (OMP_NUM_THREADS=1): the parallel loops of the
# kernels run in the OpenMP team of libgomp, whose barriers TSan cannot see (libgomp is not
# instrumented), so two threads of one loop would be reported as racing on every output. With one
# compute thread every loop runs on its caller, and what TSan checks is the rest: tasks and
# threads sharing models, the batcher's queue and thread, caches, pools, the Hub client's
# downloads. oneDNN and OpenBLAS are not instrumented either (their memory is not checked).
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-both}
shift || true
# The disk-full tests need their small filesystems (root); without them they are skipped.
if [ -z "${CLIP_TEST_SMALL_FS:-}" ] && [ "$(id -u)" -eq 0 ]; then
    eval "$(CLIP_TEST_SMALL_FS=/tmp/swift-clip-small-fs ./Scripts/mount-small-filesystems.sh)"
    export CLIP_TEST_SMALL_FS
fi
export SWIFT_BACKTRACE=enable=no
if [ "$which" = address ] || [ "$which" = both ]; then
    echo "== swift test --sanitize=address" >&2
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$PWD/Scripts/lsan.supp \
        swift test --sanitize=address --scratch-path .build-asan "$@"
fi
if [ "$which" = thread ] || [ "$which" = both ]; then
    echo "== swift test --sanitize=thread (one compute thread)" >&2
    OMP_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        swift test --sanitize=thread --scratch-path .build-tsan "$@"
fi
