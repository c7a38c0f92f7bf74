#!/usr/bin/env bash
# Builds the libFuzzer harnesses of Fuzz/Sources with -sanitize=fuzzer,address and runs each for a
# given time, two at a time (one per core), from the committed seeds (Fuzz/Seeds) plus the
# test fixtures listed below. See Fuzz/README.md.
#
#   Fuzz/run.sh [--seconds N] [--parallel P] [--build-only] [HARNESS[:SECONDS] ...]
#
# Default: every harness, 60 s each; HARNESS:SECONDS gives one harness its own time (to top a
# harness up to a total, say).
# Work files go to .build-fuzz/: corpus/<harness> (grows across runs), artifacts/<harness>
# (crash-*, leak-*, timeout-*, oom-* inputs), logs/<harness>.log; a summary line per harness
# (CPU seconds, executions, coverage edges and features, artifacts) is printed at the end and
# appended to .build-fuzz/summary.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
parallel=2
build_only=false
harnesses=()
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --parallel) parallel=$2; shift 2 ;;
        --build-only) build_only=true; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) harnesses+=("$1"); shift ;;
    esac
done
all=(FuzzSafeTensors FuzzShardIndex FuzzJSON FuzzVocabulary FuzzSentencePiece FuzzTokenizer FuzzImage FuzzNumpy FuzzEmbeddingIndex
     FuzzServerRequest)
[ ${#harnesses[@]} -eq 0 ] && harnesses=("${all[@]}")
work=.build-fuzz
mkdir -p "$work/corpus" "$work/artifacts" "$work/logs"

# Test fixtures that make good seeds, per harness (in addition to Fuzz/Seeds/<harness>).
fixture_seeds() {
    case $1 in
        FuzzSafeTensors) ls Tests/SafeTensorsTests/Fixtures/*.safetensors ;;
        FuzzImage) ls Tests/ImageProcessingTests/Fixtures/images/* ;;
        *) ;;
    esac
}

# The server's harness needs the `Server` trait (Hummingbird, NIO): it gets its own build folder,
# so that the other harnesses are not rebuilt with the trait's condition.
build_options() {
    if [ "$1" = FuzzServerRequest ]; then echo "--scratch-path $work/build-server --traits Server"
    else echo "--scratch-path $work/build"; fi
}

export CLIP_FUZZ=1
for entry in "${harnesses[@]}"; do
    harness=${entry%%:*}
    echo "building $harness" >&2
    # shellcheck disable=SC2046
    swift build -c release $(build_options "$harness") --product "$harness" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld \
        -Xcc -fsanitize=fuzzer-no-link,address 2>&1 | grep -E "error|warning: unre|Compiling|Build" | tail -3 >&2
done
$build_only && exit 0

run_one() {
    local harness=${1%%:*} seconds=$seconds
    [ "$1" != "$harness" ] && seconds=${1#*:}
    local corpus=$work/corpus/$harness artifacts=$work/artifacts/$harness log=$work/logs/$harness.log
    mkdir -p "$corpus" "$artifacts"
    [ -d "Fuzz/Seeds/$harness" ] && cp -n Fuzz/Seeds/"$harness"/* "$corpus"/ 2>/dev/null || true
    for seed in $(fixture_seeds "$harness"); do cp -n "$seed" "$corpus/fixture-$(basename "$seed")"; done
    local bin
    # shellcheck disable=SC2046
    bin=$(swift build -c release $(build_options "$harness") --show-bin-path)
    local max_len=65536
    [ "$harness" = FuzzTokenizer ] && max_len=4096   # texts longer than this only repeat words
    local dict=()
    [ -f "Fuzz/Dictionaries/$harness.dict" ] && dict=(-dict="Fuzz/Dictionaries/$harness.dict")
    # -rss_limit_mb / -malloc_limit_mb: an input that makes the process allocate more than this is
    # reported as an out-of-memory artifact (our limits should stop any input long before).
    # One compute thread per harness (two harnesses share the cores); no Swift backtracer, which
    # would catch the crash before libFuzzer writes the input.
    OMP_NUM_THREADS=1 SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
    LSAN_OPTIONS=suppressions=$PWD/Scripts/lsan.supp:print_suppressions=0 \
    /usr/bin/time -f "%U %S" -o "$work/logs/$harness.time" \
        "$bin/$harness" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=$max_len -print_final_stats=1 \
        -artifact_prefix="$artifacts/" > "$log" 2>&1 || true
    local cpu execs cov ft found
    cpu=$(tail -1 "$work/logs/$harness.time" | awk '{printf "%.0f", $1 + $2}')
    execs=$(awk '/stat::number_of_executed_units/ {print $NF}' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    found=$(ls "$artifacts" | wc -l)
    printf '%s\t%s\tcpu_s=%s\texecs=%s\tedges=%s\tfeatures=%s\tcorpus=%s\tartifacts=%s\n' \
        "$(date -u +%FT%TZ)" "$harness" "$cpu" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$(ls "$corpus" | wc -l)" "$found" \
        | tee -a "$work/summary.tsv"
}

running=0
for harness in "${harnesses[@]}"; do
    run_one "$harness" &
    running=$((running + 1))
    if [ "$running" -ge "$parallel" ]; then wait -n; running=$((running - 1)); fi
done
wait
