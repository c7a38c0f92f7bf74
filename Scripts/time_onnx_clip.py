#!/usr/bin/env python3
"""Times ONNX Runtime or OpenVINO on a CLIP checkpoint the way `clip bench` times swift-clip, so
that Scripts/compare_speed.py can put them side by side. Not run by CI.

Pinned versions: torch 2.15.0, transformers 5.24.0, onnx 1.23.2, onnxruntime 1.32.0,
openvino 2026.4.1 (pip install torch transformers onnx onnxruntime openvino).

Usage: python3 Scripts/time_onnx_clip.py CHECKPOINT_DIR --runtime ort|openvino --precision f32|bf16|int8
                                         [--onnx-dir DIR] [--batch N] [--threads T] [--repeat R]

The image and text towers are exported once to DIR (default CHECKPOINT_DIR/../onnx) with
torch.onnx.export(..., dynamo=False): vision.onnx is get_image_features(...).pooler_output with a
dynamic batch, text.onnx get_text_features(...).pooler_output with dynamic batch and length.
Precisions: ONNX Runtime f32, or int8 through onnxruntime.quantization.quantize_dynamic (int8
weights, activations quantized at run time; vision-int8.onnx, text-int8.onnx); OpenVINO f32 or
bf16 (INFERENCE_PRECISION_HINT; bf16 needs AVX512_BF16 or AMX, else OpenVINO runs f32), compiled
with static input shapes, one model per shape (the batch-32 model outside the timings).

Prints one JSON object on its last line with clip bench's field names (load_s is creating the
sessions / compiling the models; peak_rss_mb is ru_maxrss after one image and the 8 prompts).
"""
import argparse
import json
import resource
import statistics
import time
from pathlib import Path

import numpy as np

PROMPTS = [
    "a photo of a cat", "a photo of a dog", "a red sports car", "a bowl of fresh fruit",
    "a man riding a horse", "a city at night", "a plate of pasta", "an old wooden bridge",
]


def export(checkpoint, out):
    """Writes vision.onnx and text.onnx for the checkpoint (once)."""
    import torch
    from transformers import CLIPModel

    out.mkdir(parents=True, exist_ok=True)
    if (out / "vision.onnx").exists() and (out / "text.onnx").exists():
        return
    model = CLIPModel.from_pretrained(checkpoint, dtype=torch.float32).eval()

    def pooled(result):
        return result.pooler_output if hasattr(result, "pooler_output") else result

    class Tower(torch.nn.Module):
        """One tower's projected features as a module with a single input, for the exporter."""

        def __init__(self, features, argument):
            super().__init__()
            self.model, self.features, self.argument = model, features, argument

        def forward(self, x):
            return pooled(getattr(self.model, self.features)(**{self.argument: x}))

    def Vision():
        return Tower("get_image_features", "pixel_values")

    def Text():
        return Tower("get_text_features", "input_ids")

    size = model.config.vision_config.image_size
    with torch.inference_mode():
        torch.onnx.export(Vision(), (torch.zeros(1, 3, size, size),), str(out / "vision.onnx"), dynamo=False,
                          input_names=["pixel_values"], output_names=["embeds"],
                          dynamic_axes={"pixel_values": {0: "batch"}, "embeds": {0: "batch"}}, opset_version=17)
        ids = torch.tensor([[49406, 320, 1125, 539, 320, 2368, 49407]])
        torch.onnx.export(Text(), (ids,), str(out / "text.onnx"), dynamo=False,
                          input_names=["input_ids"], output_names=["embeds"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "embeds": {0: "batch"}},
                          opset_version=17)


def quantized(out):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    for name in ("vision", "text"):
        target = out / f"{name}-int8.onnx"
        if not target.exists():
            quantize_dynamic(str(out / f"{name}.onnx"), str(target), weight_type=QuantType.QInt8)
    return out / "vision-int8.onnx", out / "text-int8.onnx"


def median_ms(fn, repeats, cpu, label):
    fn()
    wall, used = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        used.append((time.process_time() - start_cpu) * 1000)
    cpu[label] = statistics.median(used)
    return statistics.median(wall)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("--runtime", choices=["ort", "openvino"], required=True)
    parser.add_argument("--precision", choices=["f32", "bf16", "int8"], default="f32")
    parser.add_argument("--onnx-dir")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    checkpoint = Path(args.checkpoint)
    out = Path(args.onnx_dir) if args.onnx_dir else checkpoint.parent / "onnx"
    export(checkpoint, out)

    from transformers import CLIPTokenizer
    tokenizer = CLIPTokenizer.from_pretrained(str(checkpoint))
    ids = tokenizer(PROMPTS, padding="longest", return_tensors="np")["input_ids"].astype(np.int64)
    config = json.loads((checkpoint / "config.json").read_text())
    size = config.get("vision_config", {}).get("image_size", 224)
    rng = np.random.default_rng(0)
    one = rng.standard_normal((1, 3, size, size), dtype=np.float32)
    many = rng.standard_normal((args.batch, 3, size, size), dtype=np.float32)

    start = time.perf_counter()
    if args.runtime == "ort":
        import onnxruntime as ort
        if args.precision == "bf16":
            raise SystemExit("ONNX Runtime's CPU provider has no bf16 matmul path; use --precision f32 or int8")
        vision_path, text_path = (quantized(out) if args.precision == "int8"
                                  else (out / "vision.onnx", out / "text.onnx"))
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        vision = ort.InferenceSession(str(vision_path), options, providers=["CPUExecutionProvider"])
        text = ort.InferenceSession(str(text_path), options, providers=["CPUExecutionProvider"])
        run_image = lambda x: vision.run(None, {"pixel_values": x})[0]  # noqa: E731
        run_text = lambda x: text.run(None, {"input_ids": x})[0]  # noqa: E731
        version = ort.__version__
    else:
        import openvino as ov
        if args.precision == "int8":
            raise SystemExit("use ONNX Runtime for the int8 comparison (--runtime ort --precision int8)")
        core = ov.Core()
        settings = {"INFERENCE_NUM_THREADS": args.threads, "PERFORMANCE_HINT": "LATENCY",
                    "INFERENCE_PRECISION_HINT": "bf16" if args.precision == "bf16" else "f32"}
        # Static shapes, one compiled model per input shape (OpenVINO's fastest set-up): what a
        # user tuning it for speed would do.
        requests = {}

        def compiled(path, shape):
            key = (path.name, shape)
            if key not in requests:
                model = core.read_model(str(path))
                model.reshape({0: list(shape)})
                requests[key] = core.compile_model(model, "CPU", settings).create_infer_request()
            return requests[key]

        compiled(out / "vision.onnx", one.shape)
        compiled(out / "text.onnx", ids.shape)
        run_image = lambda x: compiled(out / "vision.onnx", x.shape).infer({0: x})[0]  # noqa: E731
        run_text = lambda x: compiled(out / "text.onnx", x.shape).infer({0: x})[0]  # noqa: E731
        version = ov.__version__
    load_s = time.perf_counter() - start

    cpu = {}
    first = time.perf_counter()
    run_image(one)
    image_first = (time.perf_counter() - first) * 1000
    image_b1 = median_ms(lambda: run_image(one), args.repeat, cpu, "image_b1_ms")
    text8 = median_ms(lambda: run_text(ids), args.repeat, cpu, "text8_ms")
    peak_one = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    run_image(many)  # compiles the batch shape's model outside the timings (OpenVINO)
    batch = median_ms(lambda: run_image(many), args.repeat, cpu, "image_ms_per_image")
    cpu["image_ms_per_image"] /= args.batch
    result = {"runtime": args.runtime, "version": version, "precision": args.precision, "load_s": load_s,
              "image_first_ms": image_first, "image_b1_ms": image_b1, "image_ms_per_image": batch / args.batch,
              "batch": args.batch, "text8_ms": text8, "text8_tokens": list(ids.shape), "peak_rss_mb": peak_one,
              "peak_rss_batch_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
              "threads": args.threads}
    result.update({"cpu_" + k: v for k, v in cpu.items()})
    # The embeddings, for the cosine to Float32 (compare_speed.py compares them with swift-clip's).
    np.save(out / f"embeds-{args.runtime}-{args.precision}.npy", run_image(one))
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
