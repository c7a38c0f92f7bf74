#!/usr/bin/env python3
"""Puts swift-clip's `clip bench` (in each precision) next to PyTorch, ONNX Runtime and OpenVINO on
the same checkpoint, alternating all of them for a few rounds, and prints a table of medians and
the ratios the README reports (below 1 means swift-clip is faster; for memory, smaller).
Not run by CI.

Usage: python3 Scripts/compare_speed.py CHECKPOINT_DIR [--rounds 3] [--batch 32] [--repeat 5]
                                        [--threads 2] [--clip .build/release/clip]
                                        [--only swift-f32,openvino-f32,...] [--warm]
                                        [--targets vitb|bigg]

Runners (each a fresh process per round):
  swift-f32, swift-bf16, swift-int8   clip bench --precision P
  pytorch-f32                         Scripts/time_transformers_clip.py (transformers, sdpa)
  ort-f32, ort-int8                   Scripts/time_onnx_clip.py --runtime ort (int8: quantize_dynamic)
  openvino-f32, openvino-bf16         Scripts/time_onnx_clip.py --runtime openvino (static shapes)

Build first: swift build -c release --product clip. Needs pip install torch transformers onnx
onnxruntime openvino. Timings on a shared machine drift; alternating rounds and taking medians
only softens that, so read the ratios, not the milliseconds.
"""
import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNNERS = ["swift-f32", "swift-bf16", "swift-int8", "pytorch-f32", "ort-f32", "ort-int8", "openvino-f32",
           "openvino-bf16"]
FIELDS = [("model opening (s)", "load_s"), ("first image (ms)", "image_first_ms"), ("image, batch 1 (ms)", "image_b1_ms"),
          ("image, batch B, per image (ms)", "image_ms_per_image"), ("8 prompts (ms)", "text8_ms"),
          ("peak RSS, one image + 8 prompts (MB)", "peak_rss_mb")]
# (our runner, their runner, field, target ratio) — the acceptance lines of issue 31 (bf16 and int8
# on oneDNN's brgemm kernels): for the ViT-B/32-size checkpoint, and with --targets bigg for
# Scripts/make_bigg_checkpoint.py's (opening in half PyTorch's time, an image in half its Float32 time).
TARGETS = {
    "vitb": [
        ("swift-f32", "openvino-f32", "image_b1_ms", 0.9), ("swift-f32", "openvino-f32", "image_ms_per_image", 0.9),
        ("swift-f32", "openvino-f32", "text8_ms", 0.9),
        ("swift-bf16", "openvino-bf16", "image_b1_ms", 0.9), ("swift-bf16", "openvino-bf16", "image_ms_per_image", 0.9),
        ("swift-bf16", "openvino-bf16", "text8_ms", 0.9),
        ("swift-int8", "ort-int8", "image_ms_per_image", 0.8), ("swift-int8", "ort-int8", "image_b1_ms", 0.8),
    ],
    "bigg": [
        ("swift-bf16", "pytorch-f32", "load_s", 0.5), ("swift-f32", "pytorch-f32", "load_s", 0.5),
        ("swift-bf16", "pytorch-f32", "image_b1_ms", 0.5),
    ],
}


def warm(directory):
    """Reads every file under `directory` once (into the page cache)."""
    for path in sorted(Path(directory).rglob("*")):
        if path.is_file():
            with open(path, "rb") as f:
                while f.read(1 << 24):
                    pass


def last_json(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def command(runner, args):
    common = ["--batch", str(args.batch), "--repeat", str(args.repeat), "--threads", str(args.threads)]
    family, precision = runner.split("-")
    if family == "swift":
        return [args.clip, "bench", "--model", args.checkpoint, "--precision", precision] + common
    if family == "pytorch":
        return [sys.executable, str(HERE / "time_transformers_clip.py"), args.checkpoint] + common
    runtime = "ort" if family == "ort" else "openvino"
    return [sys.executable, str(HERE / "time_onnx_clip.py"), args.checkpoint, "--runtime", runtime,
            "--precision", precision] + common


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--clip", default=str(HERE.parent / ".build/release/clip"))
    parser.add_argument("--only", help="comma-separated runners (default: all)")
    parser.add_argument("--targets", choices=sorted(TARGETS), default="vitb",
                        help="which acceptance ratios to print (vitb: ViT-B/32 size; bigg: ViT-bigG/14)")
    parser.add_argument("--warm", action="store_true",
                        help="read the checkpoint's files before every run, so each opens it from the page "
                             "cache (this VM evicts an idle 5 GB checkpoint, and the first reader pays the disk)")
    args = parser.parse_args()
    runners = args.only.split(",") if args.only else RUNNERS
    results = {runner: [] for runner in runners}
    for round_ in range(args.rounds):
        for runner in runners:
            if args.warm:
                warm(args.checkpoint)
            results[runner].append(last_json(command(runner, args)))
            print(f"round {round_ + 1}: {runner} {json.dumps(results[runner][-1], sort_keys=True)}", file=sys.stderr)

    def median(runner, key):
        values = [run[key] for run in results.get(runner, []) if run.get(key) is not None]
        return statistics.median(values) if values else None

    print(f"{'':38}" + "".join(f"{r:>14}" for r in runners))
    for label, key in FIELDS:
        cells = [median(r, key) for r in runners]
        print(f"{label.replace('B', str(args.batch), 1) if 'batch B' in label else label:38}"
              + "".join(f"{c:14.3f}" if c is not None else f"{'-':>14}" for c in cells))
    print()
    for ours, theirs, key, target in TARGETS[args.targets]:
        a, b = median(ours, key), median(theirs, key)
        if a is None or b is None:
            continue
        verdict = "met" if a / b <= target else "not met"
        print(f"{ours} / {theirs} {key}: {a / b:.2f} (target <= {target}: {verdict})")
    isa = results.get("swift-bf16", results.get("swift-f32", [{}]))
    print(json.dumps({"rounds": args.rounds, "batch": args.batch, "threads": args.threads,
                      "isa": {r: results[r][-1].get("isa") for r in runners if r.startswith("swift")},
                      "cpu": isa[-1].get("blas_core") if isa else None}))


if __name__ == "__main__":
    main()
