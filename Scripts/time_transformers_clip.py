#!/usr/bin/env python3
"""Times transformers' CLIPModel on a checkpoint directory the way `clip bench` times swift-clip,
so the two can be put side by side (Scripts/compare_speed.py runs both and prints the ratios).
Not run by CI.

Pinned versions: torch 2.15.0, transformers 5.24.0 (CPU, Float32, torch.set_num_threads(threads)).

Usage: python3 Scripts/time_transformers_clip.py CHECKPOINT_DIR [--batch N] [--threads T] [--repeat R]

Prints one JSON object on its last line, with clip bench's field names:
  load_s              CLIPModel.from_pretrained (the weights into memory, ready to run)
  image_b1_ms         get_image_features on one image (median of R runs after warm-up)
  image_ms_per_image  get_image_features on N images, divided by N
  text8_ms            get_text_features on the same 8 prompts as clip bench, padded to the longest
  text8_77_ms         the same prompts padded to 77 tokens (how open_clip always runs them)
  peak_rss_mb         the process's peak resident memory after loading, one image and the 8
                      prompts (what classifying one image needs), before the batch
  peak_rss_batch_mb   the peak after the batch as well
  cpu_*               the same medians in process CPU time (all threads)
"""
import argparse
import json
import resource
import statistics
import time

import torch

# The prompts clip bench uses (Sources/CLIPCommand/BenchCommand.swift).
PROMPTS = [
    "a photo of a cat", "a photo of a dog", "a red sports car", "a bowl of fresh fruit",
    "a man riding a horse", "a city at night", "a plate of pasta", "an old wooden bridge",
]
CPU = {}


def median_ms(fn, repeats, label):
    fn()  # warm-up, as clip bench does
    samples, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    CPU[label] = statistics.median(cpu)
    return statistics.median(samples)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from transformers import CLIPModel, CLIPTokenizer

    start = time.perf_counter()
    model = CLIPModel.from_pretrained(args.checkpoint, dtype=torch.float32).eval()
    load_s = time.perf_counter() - start
    tokenizer = CLIPTokenizer.from_pretrained(args.checkpoint)
    longest = tokenizer(PROMPTS, padding="longest", return_tensors="pt")["input_ids"]
    padded_77 = tokenizer(PROMPTS, padding="max_length", max_length=77, return_tensors="pt")["input_ids"]
    size = model.config.vision_config.image_size
    g = torch.Generator().manual_seed(0)
    one = torch.randn((1, 3, size, size), generator=g)
    many = torch.randn((args.batch, 3, size, size), generator=g)
    r = args.repeat
    with torch.inference_mode():
        image_b1 = median_ms(lambda: model.get_image_features(pixel_values=one), r, "image_b1_ms")
        text8 = median_ms(lambda: model.get_text_features(input_ids=longest), r, "text8_ms")
        peak_one = peak_rss_mb()
        text77 = median_ms(lambda: model.get_text_features(input_ids=padded_77), r, "text8_77_ms")
        batch = median_ms(lambda: model.get_image_features(pixel_values=many), r, "image_ms_per_image")
    result = {
        "load_s": load_s, "image_b1_ms": image_b1, "image_ms_per_image": batch / args.batch,
        "batch": args.batch, "text8_ms": text8, "text8_77_ms": text77, "text8_tokens": list(longest.shape),
        "peak_rss_mb": peak_one, "peak_rss_batch_mb": peak_rss_mb(), "threads": torch.get_num_threads(),
        "attn_implementation": model.config._attn_implementation,
    }
    CPU["image_ms_per_image"] /= args.batch
    result.update({"cpu_" + k: v for k, v in CPU.items()})
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
