#!/usr/bin/env python3
"""Writes the SigLIP model fixtures of Tests/CLIPModelsTests/Fixtures: tiny random-weight
transformers `SiglipModel` checkpoints with reference embeddings, logits and sigmoid
probabilities computed by transformers on fixed pixel tensors and token-id batches.

Pinned versions (checked at start): torch 2.15.0, transformers 5.24.0, safetensors 0.8.0,
numpy 2.4.6.

Usage: python3 Scripts/make_siglip_fixtures.py [fixtures-dir]
(default: Tests/CLIPModelsTests/Fixtures). Deterministic (seeded torch.Generator). Reads the
pixel tensors pixels/32.npy and pixels/48.npy that Scripts/make_model_fixtures.py wrote.

Models (sizes unlike any real SigLIP so that nothing can be hard-coded):
  models/siglip-tanh        SiglipModel, gelu_pytorch_tanh, F32. Vision: image 32, patch 8,
                            width 48, 3 heads, 2 layers, MLP 96 (head included). Text: vocab 300,
                            context 16, width 32, 4 heads, 2 layers, MLP 64, projection_size 48.
                            logit_scale log(10), logit_bias -2.5.
  models/siglip-tanh-f16    the same weights stored as F16 (references from the F16 values).
  models/siglip-tanh-bf16   the same weights stored as BF16.
  models/siglip-sharded     F32 in two shards + model.safetensors.index.json; vision image 48,
                            patch 12, width 40, 4 heads, 3 layers, MLP 72; text vocab 250,
                            context 12, width 24, 2 heads, 1 layer, MLP 40, projection 40;
                            text hidden_act "gelu" (erf), vision "gelu_pytorch_tanh".
  models/siglip-remainder   F32; image 36 in 8-px patches (a 4-px remainder the convolution never
                            sees, like so400m's 384 px in 14-px patches); pixels/36.npy.

references/<model>/: image.npy [3, embed] for the pixels; text-full.npy [4, embed] for the
`full` id batch (every sequence at the context length) and text-short.npy [3, embed] for the
`short` batch (a uniform shorter length); logits.npy [3, 4] = logits_per_image of image × full
texts and probabilities.npy = torch.sigmoid of it. Token batches: siglip-tokens.json.
"""
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_model_fixtures import save_two_shards  # noqa: E402

PINNED = {"torch": "2.15.0", "transformers": "5.24.0", "safetensors": "0.8.0", "numpy": "2.4.6"}


def check_versions():
    import safetensors
    import transformers

    found = {"torch": torch.__version__.split("+")[0], "transformers": transformers.__version__,
             "safetensors": safetensors.__version__, "numpy": np.__version__}
    for name, version in PINNED.items():
        if found[name] != version:
            sys.exit(f"{name} {found[name]} found, {version} required")


def randomize(model, seed):
    """Seeded random parameters of sensible scale: LayerNorm weights near 1, biases around 0,
    matrices with std 1/sqrt(fan_in), embeddings and the probe with std 0.5."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            noise = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if name in ("logit_scale", "logit_bias"):
                continue
            if any(s in name for s in ("layer_norm", "layernorm")) and name.endswith("weight"):
                p.copy_(1 + 0.2 * noise)
            elif name.endswith("bias"):
                p.copy_(0.2 * noise)
            elif "embedding.weight" in name and "patch" not in name or name.endswith("probe"):
                p.copy_(0.5 * noise)
            else:
                fan_in = int(np.prod(p.shape[1:]))
                p.copy_(noise / math.sqrt(fan_in))
        model.logit_scale.fill_(math.log(10.0))
        model.logit_bias.fill_(-2.5)


def save_npy(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


def token_batches(vocab, context, seed):
    g = torch.Generator().manual_seed(seed)
    full = torch.randint(0, vocab, (4, context), generator=g).tolist()
    # Padded-looking rows: text, then the end-of-sequence/pad id 1 to the end.
    full[1] = full[1][:5] + [1] * (context - 5)
    full[2] = full[2][:context - 1] + [1]
    short = torch.randint(0, vocab, (3, context // 2 + 1), generator=g).tolist()
    return {"full": full, "short": short}


def references(model, pixel_values, batches):
    model.eval()
    with torch.no_grad():
        image = model.get_image_features(pixel_values=pixel_values).pooler_output
        full = model.get_text_features(input_ids=torch.tensor(batches["full"])).pooler_output
        short = model.get_text_features(input_ids=torch.tensor(batches["short"])).pooler_output
        out = model(input_ids=torch.tensor(batches["full"]), pixel_values=pixel_values)
    return image.numpy(), full.numpy(), short.numpy(), out.logits_per_image.numpy(), \
        torch.sigmoid(out.logits_per_image).numpy()


def write_references(root, name, values, extra):
    ref = root / "references" / name
    for file, array in zip(("image", "text-full", "text-short", "logits", "probabilities"), values):
        save_npy(ref / f"{file}.npy", array)
    meta = {"versions": PINNED, "script": "Scripts/make_siglip_fixtures.py"}
    meta.update(extra)
    (ref / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n")


def config(vision, text):
    from transformers import SiglipConfig
    return SiglipConfig(vision_config=vision, text_config=text)


def main():
    check_versions()
    from transformers import SiglipModel

    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "Tests/CLIPModelsTests/Fixtures"
    tokens = {}

    # siglip-tanh in F32, F16 and BF16.
    cfg = config(dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=3,
                      image_size=32, patch_size=8),
                 dict(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, max_position_embeddings=16, projection_size=48,
                      pad_token_id=1, eos_token_id=1, bos_token_id=None))
    base = SiglipModel(cfg)
    randomize(base, 11)
    px = torch.from_numpy(np.load(root / "pixels" / "32.npy"))
    tokens["siglip-tanh"] = token_batches(300, 16, 12)
    for suffix, dtype in (("", torch.float32), ("-f16", torch.float16), ("-bf16", torch.bfloat16)):
        name = "siglip-tanh" + suffix
        stored = SiglipModel(cfg)
        stored.load_state_dict(base.state_dict())
        stored = stored.to(dtype)
        stored.save_pretrained(root / "models" / name)
        widened = stored.to(torch.float32)
        write_references(root, name, references(widened, px, tokens["siglip-tanh"]),
                         {"pixels": "pixels/32.npy", "tokens": "siglip-tanh", "stored_dtype": str(dtype)})

    # siglip-sharded: two shards and an index.
    cfg = config(dict(hidden_size=40, intermediate_size=72, num_hidden_layers=3, num_attention_heads=4,
                      image_size=48, patch_size=12),
                 dict(vocab_size=250, hidden_size=24, intermediate_size=40, num_hidden_layers=1,
                      num_attention_heads=2, max_position_embeddings=12, projection_size=40, hidden_act="gelu",
                      pad_token_id=1, eos_token_id=1, bos_token_id=None))
    model = SiglipModel(cfg)
    randomize(model, 21)
    directory = root / "models" / "siglip-sharded"
    directory.mkdir(parents=True, exist_ok=True)
    cfg.save_pretrained(directory)
    save_two_shards(model, directory)
    px = torch.from_numpy(np.load(root / "pixels" / "48.npy"))
    tokens["siglip-sharded"] = token_batches(250, 12, 22)
    write_references(root, "siglip-sharded", references(model, px, tokens["siglip-sharded"]),
                     {"pixels": "pixels/48.npy", "tokens": "siglip-sharded", "stored_dtype": "torch.float32"})
    # siglip-remainder: 36-pixel images in 8-pixel patches (4×4 grid, 4 pixels unseen per side),
    # as SigLIP so400m's 384 px in 14-px patches.
    cfg = config(dict(hidden_size=24, intermediate_size=40, num_hidden_layers=1, num_attention_heads=2,
                      image_size=36, patch_size=8),
                 dict(vocab_size=120, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, max_position_embeddings=8, projection_size=24,
                      pad_token_id=1, eos_token_id=1, bos_token_id=None))
    model = SiglipModel(cfg)
    randomize(model, 31)
    model.save_pretrained(root / "models" / "siglip-remainder")
    g = torch.Generator().manual_seed(32)
    px = torch.randn((3, 3, 36, 36), generator=g, dtype=torch.float32)
    save_npy(root / "pixels" / "36.npy", px.numpy())
    tokens["siglip-remainder"] = token_batches(120, 8, 33)
    write_references(root, "siglip-remainder", references(model, px, tokens["siglip-remainder"]),
                     {"pixels": "pixels/36.npy", "tokens": "siglip-remainder", "stored_dtype": "torch.float32"})
    (root / "siglip-tokens.json").write_text(json.dumps(tokens) + "\n")


if __name__ == "__main__":
    main()
