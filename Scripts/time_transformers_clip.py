#!/usr/bin/env python3
"""Times transformers' CLIPModel on a checkpoint directory, on the CPU with
torch.set_num_threads(2), to put next to swift-clip's timings of the same checkpoint.

Pinned versions: torch 2.15.0, transformers 5.24.0.

Usage: python3 Scripts/time_transformers_clip.py [checkpoint-dir] [prompts.json] [threads]
  (defaults: /work/scratch/vit-b-32/hf, /work/scratch/vit-b-32/reference/prompts.json, 2)

Prints one JSON object (milliseconds, medians):
  image_batch1_ms            get_image_features on one 224×224 image
  image_batch32_per_image_ms get_image_features on 32 images, divided by 32
  text_8_prompts_ms          get_text_features on the 8 prompts, padded to the longest
  text_8_prompts_77_ms       the same, padded to 77 tokens (CLIPProcessor's max_length padding)
  cpu_*                      the same medians in process CPU time (all threads), which a busy
                             machine disturbs much less than wall-clock time
"""
import json
import statistics
import sys
import time

import torch


CPU = {}


def median_ms(fn, repeats, warmup=2, label=None):
    """Median wall-clock milliseconds of `fn`; the median process CPU time goes to CPU[label]."""
    for _ in range(warmup):
        fn()
    samples, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    if label:
        CPU[label] = statistics.median(cpu)
    return statistics.median(samples)


def main():
    from transformers import CLIPModel

    directory = sys.argv[1] if len(sys.argv) > 1 else "/work/scratch/vit-b-32/hf"
    prompts_file = sys.argv[2] if len(sys.argv) > 2 else "/work/scratch/vit-b-32/reference/prompts.json"
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    model = CLIPModel.from_pretrained(directory, dtype=torch.float32).eval()
    prompts = json.load(open(prompts_file))
    ids = prompts["ids"]
    longest = max(len(s) for s in ids)
    padded_longest = torch.tensor([s + [49407] * (longest - len(s)) for s in ids])
    padded_77 = torch.tensor(prompts["padded"])
    g = torch.Generator().manual_seed(0)
    one = torch.randn((1, 3, 224, 224), generator=g)
    many = torch.randn((32, 3, 224, 224), generator=g)
    with torch.inference_mode():
        result = {
            "torch_threads": torch.get_num_threads(),
            "attn_implementation": model.config._attn_implementation,
            "image_batch1_ms": median_ms(lambda: model.get_image_features(pixel_values=one), 20, label="b1"),
            "image_batch32_per_image_ms": median_ms(lambda: model.get_image_features(pixel_values=many), 5,
                                                    label="b32") / 32,
            "text_8_prompts_ms": median_ms(lambda: model.get_text_features(input_ids=padded_longest), 30,
                                           label="text"),
            "text_8_prompts_77_ms": median_ms(lambda: model.get_text_features(input_ids=padded_77), 20),
        }
        result["cpu_image_batch1_ms"] = CPU["b1"]
        result["cpu_image_batch32_per_image_ms"] = CPU["b32"] / 32
        result["cpu_text_8_prompts_ms"] = CPU["text"]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
