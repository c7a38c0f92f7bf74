#!/usr/bin/env python3
"""Times transformers' CLIPModel on a checkpoint directory, on the CPU with
torch.set_num_threads(2), to put next to swift-clip's timings of the same checkpoint.

Pinned versions: torch 2.15.0, transformers 5.24.0.

Usage: python3 Scripts/time_transformers_clip.py [checkpoint-dir] [prompts.json]
  (defaults: /work/scratch/vit-b-32/hf and /work/scratch/vit-b-32/reference/prompts.json)

Prints one JSON object (milliseconds, medians):
  image_batch1_ms            get_image_features on one 224×224 image
  image_batch32_per_image_ms get_image_features on 32 images, divided by 32
  text_8_prompts_ms          get_text_features on the 8 prompts, padded to the longest
  text_8_prompts_77_ms       the same, padded to 77 tokens (CLIPProcessor's max_length padding)
"""
import json
import statistics
import sys
import time

import torch


def median_ms(fn, repeats, warmup=2):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main():
    from transformers import CLIPModel

    directory = sys.argv[1] if len(sys.argv) > 1 else "/work/scratch/vit-b-32/hf"
    prompts_file = sys.argv[2] if len(sys.argv) > 2 else "/work/scratch/vit-b-32/reference/prompts.json"
    torch.set_num_threads(2)
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
            "image_batch1_ms": median_ms(lambda: model.get_image_features(pixel_values=one), 20),
            "image_batch32_per_image_ms": median_ms(lambda: model.get_image_features(pixel_values=many), 5) / 32,
            "text_8_prompts_ms": median_ms(lambda: model.get_text_features(input_ids=padded_longest), 30),
            "text_8_prompts_77_ms": median_ms(lambda: model.get_text_features(input_ids=padded_77), 20),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
