"""Shared pieces: pinned versions, the model configuration, tokenization, zero-shot scoring."""

from __future__ import annotations

import sys
import warnings

import numpy as np

# The versions this program was written and run with. Other versions may work but can change
# the rendered pixels (Pillow, numpy) or the random streams (torch), and so the trained model.
PINNED = {
    "python": "3.11.7",
    "torch": "2.15.0",
    "transformers": "5.24.0",
    "open_clip_torch": "3.3.0",
    "pillow": "13.0.0",
    "numpy": "2.4.6",
    "safetensors": "0.8.0",
}

IMAGE_SIZE = 64
CONTEXT_LENGTH = 77
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

COLOR_PROMPT = "a photo of a {} shape"
SHAPE_PROMPT = "a photo of a {}"


def versions() -> dict:
    import open_clip
    import PIL
    import safetensors
    import torch
    import transformers

    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__.split("+")[0],
        "transformers": transformers.__version__,
        "open_clip_torch": open_clip.__version__,
        "pillow": PIL.__version__,
        "numpy": np.__version__,
        "safetensors": safetensors.__version__,
    }


def check_versions() -> dict:
    found = versions()
    for name, want in PINNED.items():
        if found[name] != want:
            warnings.warn(f"{name} {found[name]} differs from the pinned {want}; results may differ")
    return found


def model_config(vision_layers=4):
    from transformers import CLIPConfig

    text = dict(
        vocab_size=49408, hidden_size=96, intermediate_size=384, num_hidden_layers=4,
        num_attention_heads=4, max_position_embeddings=CONTEXT_LENGTH, hidden_act="gelu",
        layer_norm_eps=1e-5, bos_token_id=49406, eos_token_id=49407, pad_token_id=1,
    )
    vision = dict(
        hidden_size=128, intermediate_size=512, num_hidden_layers=vision_layers, num_attention_heads=8,
        image_size=IMAGE_SIZE, patch_size=8, num_channels=3, hidden_act="gelu", layer_norm_eps=1e-5,
    )
    text["projection_dim"] = vision["projection_dim"] = 128
    return CLIPConfig(text_config=text, vision_config=vision, projection_dim=128, logit_scale_init_value=2.6592)


class Tokenizer:
    """open_clip's SimpleTokenizer (the 49,408-entry OpenAI CLIP BPE) with a cache."""

    def __init__(self):
        from open_clip.tokenizer import SimpleTokenizer

        self.inner = SimpleTokenizer()
        self.sot = self.inner.encoder["<start_of_text>"]
        self.eot = self.inner.encoder["<end_of_text>"]
        self.cache: dict[str, list[int]] = {}

    def ids(self, text: str) -> list[int]:
        got = self.cache.get(text)
        if got is None:
            body = self.inner.encode(text)[: CONTEXT_LENGTH - 2]
            got = [self.sot] + body + [self.eot]
            self.cache[text] = got
        return got

    def batch(self, texts: list[str]):
        """int64 [N, L] with L the longest sequence in the batch, padded with 0 after the end
        token (as open_clip pads; the causal mask and end-token pooling make padding inert)."""
        import torch

        seqs = [self.ids(t) for t in texts]
        out = torch.zeros((len(seqs), max(len(s) for s in seqs)), dtype=torch.long)
        for k, s in enumerate(seqs):
            out[k, : len(s)] = torch.tensor(s)
        return out


def normalize_pixels(images_uint8):
    """uint8 [N, H, W, 3] (numpy or torch) -> float32 [N, 3, H, W], exactly CLIPImageProcessor's
    rescale (x * 1/255) then normalize ((x - mean) / std) for images already IMAGE_SIZE square."""
    import torch

    x = torch.as_tensor(np.ascontiguousarray(images_uint8)).permute(0, 3, 1, 2).float()
    x = x * (1 / 255)
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def features(out):
    """transformers returns a tensor or a model output from get_*_features depending on version."""
    return out if not hasattr(out, "pooler_output") else out.pooler_output


def prompt_lists():
    from render import COLORS, SHAPES

    return [COLOR_PROMPT.format(c) for c in COLORS], [SHAPE_PROMPT.format(s) for s in SHAPES]
