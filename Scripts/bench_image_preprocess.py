#!/usr/bin/env python3
"""Times Pillow decode + transformers' CLIP preprocessing, the Python side of
Examples/ImagePreprocessBenchmark (`image-preprocess-bench`).

    python3 Scripts/bench_image_preprocess.py [IMAGE] [ITERATIONS]

Without IMAGE it writes a 1024x768 photo-like JPEG (quality 90, the generator of
make_image_fixtures.py) to /tmp/swift-clip-bench-1024x768.jpg and uses that. Measures, in-process
and single-threaded like the Swift harness, the median and minimum milliseconds of
  decode:      Image.open(BytesIO(data)).convert("RGB") (forces the full decode)
  preprocess:  CLIPImageProcessorPil()(images=image, return_tensors="np") (OpenAI CLIP settings)
  total:       both
and, for information, transformers 5's default torchvision backend (CLIPImageProcessor).
Versions: pillow 13.0.0, transformers 5.24.0, numpy 2.4.6, torch 2.15.0.
"""
import io
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from transformers import CLIPImageProcessor  # noqa: E402
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil  # noqa: E402

from make_image_fixtures import photo_like  # noqa: E402


def summary(samples):
    samples = sorted(samples)
    return {"median_ms": round(samples[len(samples) // 2], 3), "min_ms": round(samples[0], 3)}


def timed(body):
    start = time.perf_counter()
    result = body()
    return (time.perf_counter() - start) * 1000, result


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/swift-clip-bench-1024x768.jpg"
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    if len(sys.argv) <= 1:
        Image.fromarray(photo_like(1024, 768, 2024)).save(path, quality=90)
    torch.set_num_threads(1)
    data = open(path, "rb").read()
    pil = CLIPImageProcessorPil()
    fast = CLIPImageProcessor()

    def decode():
        return Image.open(io.BytesIO(data)).convert("RGB")

    for _ in range(3):
        pil(images=decode(), return_tensors="np")
        fast(images=decode(), return_tensors="np")
    decode_ms, preprocess_ms, total_ms, fast_ms = [], [], [], []
    image = decode()
    for _ in range(iterations):
        t, image = timed(decode)
        decode_ms.append(t)
        preprocess_ms.append(timed(lambda: pil(images=image, return_tensors="np"))[0])
        total_ms.append(timed(lambda: pil(images=decode(), return_tensors="np"))[0])
        fast_ms.append(timed(lambda: fast(images=decode(), return_tensors="np"))[0])
    print(json.dumps({
        "image": os.path.basename(path), "width": image.width, "height": image.height, "iterations": iterations,
        "decode": summary(decode_ms), "preprocess": summary(preprocess_ms),
        "decode_and_preprocess": summary(total_ms),
        "decode_and_preprocess_torchvision_backend": summary(fast_ms),
    }))


if __name__ == "__main__":
    main()
