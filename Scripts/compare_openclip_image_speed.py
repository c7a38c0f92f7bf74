#!/usr/bin/env python3
"""Times one open_clip checkpoint folder's image tower in swift-clip against PyTorch (open_clip,
eval, torch.inference_mode) and OpenVINO (the same tower converted with openvino.convert_model,
static shapes), in one run with alternating rounds, and prints medians and ratios (below 1 means
swift-clip is faster). Not run by CI.

Usage: python3 Scripts/compare_openclip_image_speed.py MODEL_DIR OPEN_CLIP_NAME
           [--clip .build/release/clip] [--threads 2] [--batch 32] [--rounds 3] [--repeat 5]
           [--precisions f32,bf16]

MODEL_DIR holds open_clip_config.json + open_clip_model.safetensors (e.g. made by
Scripts/check_openclip_model.py); OPEN_CLIP_NAME is the open_clip model it is (PE-Core-B-16).
Each runner is a fresh process per round: `clip bench` (image_b1_ms, image_ms_per_image), and this
script itself with --runner torch / openvino-f32 / openvino-bf16, which prints the same fields.
Needs: pip install torch open_clip_torch timm safetensors openvino.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path


def time_python(args):
    import torch
    import open_clip
    import safetensors.torch

    torch.set_num_threads(args.threads)
    model = open_clip.create_model(args.name, pretrained=None)
    model.load_state_dict(safetensors.torch.load_file(str(Path(args.model) / "open_clip_model.safetensors")))
    model.eval()
    size = model.visual.image_size
    size = size if isinstance(size, (tuple, list)) else (size, size)
    g = torch.Generator().manual_seed(0)
    one = torch.randn((1, 3, *size), generator=g)
    batch = torch.randn((args.batch, 3, *size), generator=g)
    if args.runner == "torch":
        def run(x):
            with torch.inference_mode():
                return model.encode_image(x)
        run1, runb = run, run
    else:
        import openvino as ov
        core = ov.Core()
        precision = "bf16" if args.runner == "openvino-bf16" else "f32"
        config = {"INFERENCE_NUM_THREADS": args.threads, "INFERENCE_PRECISION_HINT": precision,
                  "PERFORMANCE_HINT": "LATENCY"}

        class Visual(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, x):
                return self.m.encode_image(x)

        compiled = {}
        for x in (one, batch):
            with torch.no_grad():
                converted = ov.convert_model(Visual(model), example_input=x, input=[tuple(x.shape)])
            compiled[x.shape[0]] = core.compile_model(converted, "CPU", config)

        def make(x):
            request = compiled[x.shape[0]].create_infer_request()
            array = x.numpy()
            return lambda _: request.infer([array])
        run1, runb = make(one), make(batch)
    # Warm up, then the median of --repeat runs.
    run1(one)
    runb(batch)

    def median(f, x):
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            f(x)
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000

    print(json.dumps({"image_b1_ms": median(run1, one), "image_ms_per_image": median(runb, batch) / args.batch}))


def run_runner(args, runner):
    if runner.startswith("swift-"):
        command = [args.clip, "bench", "--model", args.model, "--precision", runner.split("-")[1],
                   "--threads", str(args.threads), "--batch", str(args.batch)]
    else:
        command = [sys.executable, __file__, args.model, args.name, "--runner", runner, "--threads", str(args.threads),
                   "--batch", str(args.batch), "--repeat", str(args.repeat)]
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("name")
    parser.add_argument("--clip", default=".build/release/clip")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--precisions", default="f32,bf16")
    parser.add_argument("--runner")
    args = parser.parse_args()
    if args.runner:
        time_python(args)
        return
    runners = ["torch"]
    for precision in args.precisions.split(","):
        runners += [f"swift-{precision}", f"openvino-{precision}"]
    results = {r: [] for r in runners}
    for round_ in range(args.rounds):
        order = runners if round_ % 2 == 0 else list(reversed(runners))
        for runner in order:
            results[runner].append(run_runner(args, runner))
            print(f"round {round_ + 1} {runner}: {results[runner][-1]}", file=sys.stderr, flush=True)
    medians = {r: {f: statistics.median(x[f] for x in results[r]) for f in ("image_b1_ms", "image_ms_per_image")}
               for r in runners}
    for field in ("image_b1_ms", "image_ms_per_image"):
        line = [f"{field}:"] + [f"{r} {medians[r][field]:.1f}" for r in runners]
        print("  ".join(line))
    for precision in args.precisions.split(","):
        ours, theirs = medians[f"swift-{precision}"], medians[f"openvino-{precision}"]
        for field in ("image_b1_ms", "image_ms_per_image"):
            print(f"{precision} {field}: swift / openvino {ours[field] / theirs[field]:.2f}, "
                  f"swift / torch {ours[field] / medians['torch'][field]:.2f}")


if __name__ == "__main__":
    main()
