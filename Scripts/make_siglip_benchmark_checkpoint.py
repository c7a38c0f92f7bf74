#!/usr/bin/env python3
"""Makes a random-weight SigLIP checkpoint at a real size, with transformers' reference outputs
and PyTorch timings, for local parity checks and speed comparisons. Never committed.

Pinned versions: torch 2.15.0, transformers 5.24.0, safetensors 0.8.0, numpy 2.4.6.

Usage: python3 Scripts/make_siglip_benchmark_checkpoint.py base|so400m [output-dir]
  base    google/siglip-base-patch16-224's sizes: patch 16, 224 px, width 768, 12 layers,
          MLP 3072; text width 768, 12 layers, 64 tokens, 32,000 vocabulary (203 M parameters)
  so400m  google/siglip-so400m-patch14-384's sizes: patch 14, 384 px, width 1152, 27 layers,
          MLP 4304, 16 heads; the text tower the same widths, 64 tokens, 32,000 vocabulary

Writes (default /work/scratch/siglip-<size>):
  <out>/model/      config.json, model.safetensors (F32), preprocessor_config.json (SigLIP's)
  <out>/reference/  pixels.npy [2,3,S,S] (SiglipImageProcessorPil of Examples/photos/cat.jpg and
                    of a synthetic gradient), image.npy, ids.json (8 rows of 64 ids), text.npy
                    (get_image_features / get_text_features pooler outputs), logits.npy,
                    torch_timings.json (2 threads: image batch 1, 8 texts; medians of 5)
"""
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_siglip_fixtures import check_versions, randomize  # noqa: E402

SIZES = {
    "base": (dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                  image_size=224, patch_size=16),
             dict(vocab_size=32000, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                  num_attention_heads=12, max_position_embeddings=64)),
    "so400m": (dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=27, num_attention_heads=16,
                    image_size=384, patch_size=14),
               dict(vocab_size=32000, hidden_size=1152, intermediate_size=4304, num_hidden_layers=27,
                    num_attention_heads=16, max_position_embeddings=64)),
}


def median_ms(fn, runs=5):
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    check_versions()
    from PIL import Image
    from transformers import SiglipConfig, SiglipModel
    from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

    size = sys.argv[1]
    out = Path(sys.argv[2] if len(sys.argv) > 2 else f"/work/scratch/siglip-{size}")
    vision, text = SIZES[size]
    text = dict(text, pad_token_id=1, eos_token_id=1, bos_token_id=None)
    config = SiglipConfig(vision_config=vision, text_config=text)
    torch.manual_seed(0)
    model = SiglipModel(config)
    randomize(model, 31)
    model.eval()
    (out / "model").mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out / "model")
    processor = SiglipImageProcessorPil(size={"height": vision["image_size"], "width": vision["image_size"]},
                                        resample=3)
    processor.save_pretrained(out / "model")
    # transformers names the Pil class in the file; what the Hub repositories ship says SiglipImageProcessor.
    settings = json.loads((out / "model" / "preprocessor_config.json").read_text())
    settings["image_processor_type"] = "SiglipImageProcessor"
    (out / "model" / "preprocessor_config.json").write_text(json.dumps(settings, indent=2) + "\n")

    root = Path(__file__).resolve().parent.parent
    y, x = np.mgrid[0:300, 0:400]
    gradient = np.stack([x * 0.6, y * 0.8, (x + y) * 0.3], axis=-1).clip(0, 255).astype(np.uint8)
    images = [Image.open(root / "Examples/photos/cat.jpg").convert("RGB"), Image.fromarray(gradient, "RGB")]
    pixels = processor(images=images, return_tensors="pt")["pixel_values"]
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(2, 32000, (8, 64), generator=g)
    for row, length in enumerate([5, 9, 12, 20, 33, 64, 7, 3]):
        ids[row, length - 1:] = 1   # text, then </s> and padding with id 1
    ref = out / "reference"
    ref.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        image = model.get_image_features(pixel_values=pixels).pooler_output
        texts = model.get_text_features(input_ids=ids).pooler_output
        logits = model(input_ids=ids, pixel_values=pixels).logits_per_image
    np.save(ref / "pixels.npy", pixels.numpy().astype(np.float32))
    np.save(ref / "image.npy", image.numpy().astype(np.float32))
    np.save(ref / "text.npy", texts.numpy().astype(np.float32))
    np.save(ref / "logits.npy", logits.numpy().astype(np.float32))
    (ref / "ids.json").write_text(json.dumps(ids.tolist()) + "\n")

    torch.set_num_threads(2)
    one = pixels[:1]
    with torch.no_grad():
        timings = {
            "threads": 2,
            "image_batch1_ms": median_ms(lambda: model.get_image_features(pixel_values=one)),
            "text8_ms": median_ms(lambda: model.get_text_features(input_ids=ids)),
        }
    (ref / "torch_timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print(json.dumps(timings))


if __name__ == "__main__":
    main()
