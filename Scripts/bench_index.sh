#!/usr/bin/env bash
# Indexing throughput against the model's own batch rate, measured in one run, alternating:
#   the model alone: `clip bench --batch 32` (preprocessed pixels, per image at batch 32);
#   the indexer: `clip index` into a fresh database over 1024x768 JPEGs
#   (Scripts/make_index_benchmark_images.py), reading, hashing, decoding and preprocessing
#   on its producer thread while the model runs, committing each batch.
# Prints one JSON line per round and the ratio indexer / model (images per second).
#   Scripts/bench_index.sh [MODEL_DIR] [IMAGE_DIR] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-/work/scratch/vit-b-32/hf}
images=${2:-/work/scratch/index-bench}
rounds=${3:-2}
swift build -c release --product clip > /dev/null
clip=.build/release/clip
db=$(mktemp -u /tmp/bench-index-XXXXXX.db)
for round in $(seq 1 "$rounds"); do
  # About as many images as the indexer embeds, so both rates average over similar stretches.
  bench=$($clip bench --model "$model" --batch 32 --repeat 20)
  rm -f "$db" "$db-wal" "$db-shm"
  index=$($clip index --model "$model" --db "$db" --json "$images" 2>/dev/null)
  python3 - "$bench" "$index" "$round" <<'PY'
import json, sys
bench, index, round_ = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
model_rate = 1000.0 / bench["image_ms_per_image"]
index_rate = index["embedded"] / index["embeddingSeconds"]
print(json.dumps({"round": int(round_), "model_images_per_s": round(model_rate, 2),
                  "index_images_per_s": round(index_rate, 2), "ratio": round(index_rate / model_rate, 3),
                  "embedded": index["embedded"], "index_seconds": round(index["seconds"], 2),
                  "threads": bench.get("threads"), "isa": bench.get("isa")}))
PY
done
rm -f "$db" "$db-wal" "$db-shm"
