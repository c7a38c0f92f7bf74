#!/usr/bin/env python3
"""Makes a random-weight checkpoint at the size of OpenCLIP's ViT-bigG/14 (vision 1664 wide, 48
layers, MLP 8192, patch 14; text 1280 wide, 32 layers; 2.54 B parameters) in Hugging Face layout,
stored in float16 in three shards (about 5.1 GB), plus transformers' Float32 image embedding of
one pixel tensor for a parity check. For local timings only; never committed.

Pinned versions: torch 2.15.0, transformers 5.24.0, safetensors 0.8.0, numpy 2.4.6.

Usage: python3 Scripts/make_bigg_checkpoint.py [output-dir]     (default /work/scratch/vit-bigg-14)

Writes <out>/hf/ (config.json, model-0000k-of-00003.safetensors + index, CLIP's BPE vocabulary
files, preprocessor_config.json) and <out>/reference/ (pixels.npy [1,3,224,224] and image.npy,
get_image_features of the Float32 model on those pixels, and the time it took).
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_benchmark_checkpoint import write_tokenizer  # noqa: E402


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/scratch/vit-bigg-14")
    from transformers import CLIPConfig, CLIPModel

    torch.manual_seed(0)
    config = CLIPConfig(
        projection_dim=1280,
        text_config=dict(hidden_size=1280, intermediate_size=5120, num_hidden_layers=32, num_attention_heads=20,
                         max_position_embeddings=77, vocab_size=49408, hidden_act="gelu", eos_token_id=49407,
                         bos_token_id=49406, pad_token_id=1),
        vision_config=dict(hidden_size=1664, intermediate_size=8192, num_hidden_layers=48, num_attention_heads=16,
                           image_size=224, patch_size=14, hidden_act="gelu"),
    )
    start = time.time()
    model = CLIPModel(config).eval()
    parameters = sum(p.numel() for p in model.parameters())
    print(f"{parameters / 1e9:.3f} B parameters, built in {time.time() - start:.0f} s", flush=True)

    reference = out / "reference"
    reference.mkdir(parents=True, exist_ok=True)
    pixels = torch.randn((1, 3, 224, 224), generator=torch.Generator().manual_seed(1))
    # The reference is the float16 weights computed in Float32, as a user loading the checkpoint
    # with dtype=torch.float32 gets.
    model = model.half().float()
    with torch.inference_mode():
        features = model.get_image_features(pixel_values=pixels)
        features = features.pooler_output if hasattr(features, "pooler_output") else features
    np.save(reference / "pixels.npy", pixels.numpy())
    np.save(reference / "image.npy", features.numpy())

    hf = out / "hf"
    model.half().save_pretrained(hf, max_shard_size="2GB", safe_serialization=True)
    write_tokenizer(hf)
    (hf / "preprocessor_config.json").write_text(json.dumps({
        "crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_normalize": True,
        "do_resize": True, "do_rescale": True, "image_mean": [0.48145466, 0.4578275, 0.40821073],
        "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "rescale_factor": 1 / 255,
        "size": {"shortest_edge": 224}, "image_processor_type": "CLIPImageProcessor"}, indent=2))
    shards = sorted(p.name for p in hf.glob("model-*.safetensors"))
    size = sum(p.stat().st_size for p in hf.glob("model-*.safetensors"))
    print(json.dumps({"parameters": parameters, "shards": shards, "bytes": size, "seconds": time.time() - start}))


if __name__ == "__main__":
    main()
