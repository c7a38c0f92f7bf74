#!/usr/bin/env python3
"""A tiny random-weight CLIP with CLIP's real 49,408-token vocabulary, for tests that need text
(the `clip` tool's classify/search/embed-text paths and the examples) without a real checkpoint.

Writes Tests/CLIPCommandTests/Fixtures/tiny-vocab-clip/{config.json, model.safetensors (F16)}.
No tokenizer files: the loader uses its bundled standard vocabulary for a 49408-token model.
Text width 4 keeps the token embedding (49408 x 4, F16) at ~395 KB. The weights are random, so
the predictions mean nothing; tests check structure and agreement with the library.

Pinned versions: torch 2.15.0, transformers 5.24.0. Run from the repository root.
"""
import pathlib

import torch
import transformers

assert torch.__version__.split("+")[0] == "2.15.0" and transformers.__version__ == "5.24.0"
out = pathlib.Path(__file__).resolve().parent.parent / "Tests/CLIPCommandTests/Fixtures/tiny-vocab-clip"
torch.manual_seed(20261129)
config = transformers.CLIPConfig(
    text_config=dict(vocab_size=49408, hidden_size=4, intermediate_size=8, num_hidden_layers=1,
                     num_attention_heads=2, max_position_embeddings=77, hidden_act="quick_gelu",
                     bos_token_id=49406, eos_token_id=49407, pad_token_id=1),
    vision_config=dict(hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2,
                       image_size=32, patch_size=16, hidden_act="quick_gelu"),
    projection_dim=8,
)
model = transformers.CLIPModel(config).eval()
with torch.no_grad():
    # Larger random values than the default init, so different inputs give clearly different embeddings.
    for p in model.parameters():
        p.normal_(0, 0.5)
    model.logit_scale.fill_(2.0)
model.half().save_pretrained(out, safe_serialization=True)
print("wrote", out, sum(f.stat().st_size for f in out.iterdir()), "bytes")
