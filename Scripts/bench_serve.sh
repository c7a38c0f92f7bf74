#!/usr/bin/env bash
# Throughput of `clip serve` with wrk (Debian: apt-get install wrk): one client at a time against
# N concurrent clients (default 32), for short texts, caption-length texts and one image per
# request. Starts the server itself and stops it at the end.
#
#   swift build -c release --traits Server --scratch-path .build-server --product clip
#   Scripts/bench_serve.sh MODEL_DIR [IMAGE.jpg] [SECONDS] [CLIENTS]
#
# Prints a line per measurement (requests/s, p50, p99) and the ratios; "one at a time" is one
# keep-alive connection sending its next request when the last one is answered.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: bench_serve.sh MODEL_DIR [IMAGE] [SECONDS] [CLIENTS]}
image=${2:-Examples/photos/cat.jpg}
seconds=${3:-20}
clients=${4:-32}
clip=${CLIP:-.build-server/release/clip}
port=${PORT:-18281}
work=$(mktemp -d /tmp/bench-serve-XXXXXX)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

python3 -c 'import base64, json, sys; print(json.dumps({"input": [{"type": "image", "image": base64.b64encode(open(sys.argv[1], "rb").read()).decode()}]}))' \
    "$image" > "$work/image.json"
"$clip" serve --model "$model" --port "$port" --log-level warning &
server=$!
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break; sleep 0.5; done

measure() {   # name connections script [env...]
    local name=$1 connections=$2 script=$3
    shift 3
    # A warm-up run first (oneDNN creates its kernels per batch shape).
    env "$@" wrk -t1 -c"$connections" -d3s -s "Scripts/wrk/$script" "http://127.0.0.1:$port" > /dev/null
    env "$@" wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "Scripts/wrk/$script" "http://127.0.0.1:$port" > "$work/out"
    local rate p50 p99
    rate=$(awk '/Requests\/sec/ {print $2}' "$work/out")
    p50=$(awk '$1 == "50%" {print $2}' "$work/out")
    p99=$(awk '$1 == "99%" {print $2}' "$work/out")
    if grep -q "Non-2xx" "$work/out"; then echo "error: $name: $(grep Non-2xx "$work/out")" >&2; exit 1; fi
    printf '%-34s %9s req/s   p50 %8s   p99 %8s\n' "$name" "$rate" "$p50" "$p99" >&2
    echo "$rate"
}
declare -A rates
for kind in short caption; do
    rates[$kind-1]=$(measure "text ($kind), 1 client" 1 texts.lua TEXT_KIND=$kind)
    rates[$kind-n]=$(measure "text ($kind), $clients clients" "$clients" texts.lua TEXT_KIND=$kind)
done
rates[image-1]=$(measure "image, 1 client" 1 image.lua IMAGE_BODY="$work/image.json")
rates[image-n]=$(measure "image, $clients clients" "$clients" image.lua IMAGE_BODY="$work/image.json")
for kind in short caption image; do
    awk -v a="${rates[$kind-n]}" -v b="${rates[$kind-1]}" -v k="$kind" -v c="$clients" \
        'BEGIN { printf "%-8s %d clients / 1 client: %.2fx\n", k, c, a / b }'
done
kill -TERM "$server"
wait "$server"
