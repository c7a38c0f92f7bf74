#!/usr/bin/env python3
"""Writes Tests/CLIPModelsTests/Fixtures/openclip-timm: tiny random-weight open_clip SigLIP /
SigLIP 2 checkpoints exactly as open_clip lays them out (a `CustomTextCLIP` whose image tower is
open_clip's `TimmModel` around a timm `vit_*_siglip_*` VisionTransformer with `global_pool='map'`
and no projection, and whose text tower is open_clip's `TextTransformer` with `no_causal_mask`,
`proj_bias` and `pool_type: "last"`), with reference embeddings computed by open_clip.

Pinned versions (checked at start): torch 2.15.0, open_clip_torch 3.3.0, timm 1.0.31,
safetensors 0.8.0, numpy 2.4.6.

Usage: python3 Scripts/make_openclip_timm_fixtures.py [fixtures-dir]
(default: Tests/CLIPModelsTests/Fixtures; the cases go to <fixtures-dir>/openclip-timm/<case>/).
Deterministic: every random tensor comes from a seeded torch.Generator. Reads the pixel tensors
pixels/{32,36,40,48}.npy that Scripts/make_model_fixtures.py and make_siglip_fixtures.py wrote.

The model is built by `open_clip.create_model(<name>, pretrained=None)` from the real built-in
config of <name>, with two reductions so that the fixture stays small while the classes and
state-dict key names stay open_clip's and timm's: timm.create_model is wrapped to receive smaller
`img_size, patch_size, embed_dim, depth, num_heads, mlp_ratio`, and create_model's keyword
overrides replace `embed_dim` and `text_cfg` (the real text_cfg with smaller sizes) and
`vision_cfg.image_size`. open_clip_config.json holds the REAL config of <name>, unchanged;
reduced.json the sizes actually used.

Cases (sizes unlike any real model and unlike each other, so nothing can be hard-coded):
  siglip-base       ViT-B-16-SigLIP (timm vit_base_patch16_siglip_224; exact GELU in both towers).
                    Vision: image 32, patch 8, width 48, 2 layers, 4 heads, mlp_ratio 2.5 (MLP 120).
                    Text: vocab 300, context 12, width 32, 2 layers, 2 heads, MLP 64. embed_dim 48.
  siglip2-base      ViT-B-16-SigLIP2 (same timm trunk, exact GELU; text GELU tanh).
                    Vision: image 40, patch 10, width 40, 2 layers, 2 heads, mlp_ratio 2 (MLP 80).
                    Text: vocab 320, context 10, width 24, 2 layers, 3 heads, MLP 96. embed_dim 40.
  siglip-so400m     ViT-SO400M-14-SigLIP-384 (vit_so400m_patch14_siglip_384; exact GELU).
                    Vision: image 36, patch 8 (4x4 grid, the 4-px remainder never seen by the
                    convolution), width 32, 3 layers, 2 heads, mlp_ratio 3.7362 (MLP 119).
                    Text: vocab 200, context 14, width 28, 2 layers, 2 heads, mlp_ratio 3.7362
                    (MLP 104). embed_dim 32.
  siglip2-giantopt  ViT-gopt-16-SigLIP2-256 (vit_giantopt_patch16_siglip_256; GELU tanh in both).
                    Vision: image 48, patch 16, width 24, 2 layers, 2 heads, mlp_ratio 3 (MLP 72).
                    Text: vocab 260, context 8, width 20, 2 layers, 4 heads, mlp_ratio 3.7362
                    (MLP 74). embed_dim 24.

Each case folder: open_clip_config.json ({"model_cfg": real config, "preprocess_cfg": as
open_clip's push_to_hf_hub.save_config_for_hf writes it for the model's `webli` weights}),
open_clip_model.safetensors (the model's state_dict(), F32), reduced.json, image.npy [3, embed]
(encode_image of pixels/<image>.npy, not normalized), tokens.json ({"full": 4 sequences of the
context length, "short": lengths 1, 5 and context-1}), text-full.npy [4, embed] (encode_text of
the full batch) and text-short.npy [3, embed] (each short sequence alone, stacked).
"""
import contextlib
import copy
import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import torch

PINNED = {"torch": "2.15.0", "open_clip": "3.3.0", "timm": "1.0.31", "safetensors": "0.8.0", "numpy": "2.4.6"}

CASES = [
    dict(case="siglip-base", model="ViT-B-16-SigLIP", seed=101,
         vision=dict(image_size=32, patch_size=8, width=48, layers=2, heads=4, mlp_ratio=2.5),
         text=dict(vocab_size=300, context_length=12, width=32, layers=2, heads=2, mlp_ratio=2.0),
         logit_scale=4.75, logit_bias=-12.5),
    dict(case="siglip2-base", model="ViT-B-16-SigLIP2", seed=202,
         vision=dict(image_size=40, patch_size=10, width=40, layers=2, heads=2, mlp_ratio=2.0),
         text=dict(vocab_size=320, context_length=10, width=24, layers=2, heads=3),
         logit_scale=4.625, logit_bias=-16.25),
    dict(case="siglip-so400m", model="ViT-SO400M-14-SigLIP-384", seed=303,
         vision=dict(image_size=36, patch_size=8, width=32, layers=3, heads=2, mlp_ratio=3.7362),
         text=dict(vocab_size=200, context_length=14, width=28, layers=2, heads=2),
         logit_scale=4.875, logit_bias=-10.75),
    dict(case="siglip2-giantopt", model="ViT-gopt-16-SigLIP2-256", seed=404,
         vision=dict(image_size=48, patch_size=16, width=24, layers=2, heads=2, mlp_ratio=3.0),
         text=dict(vocab_size=260, context_length=8, width=20, layers=2, heads=4),
         logit_scale=4.5, logit_bias=-14.0),
    # A text tower without projection (proj_type "none"): its width is the embedding's.
    dict(case="siglip-i18n-so400m", model="ViT-SO400M-16-SigLIP-i18n-256", seed=505,
         vision=dict(image_size=32, patch_size=8, width=36, layers=2, heads=3, mlp_ratio=3.7362),
         text=dict(vocab_size=240, context_length=9, width=36, layers=2, heads=2),
         logit_scale=4.25, logit_bias=-11.5),
]


def check_versions():
    import open_clip
    import safetensors
    import timm

    found = {
        "torch": torch.__version__.split("+")[0],
        "open_clip": open_clip.__version__,
        "timm": timm.__version__,
        "safetensors": safetensors.__version__,
        "numpy": np.__version__,
    }
    for name, version in PINNED.items():
        if found[name] != version:
            sys.exit(f"{name} {found[name]} found, {version} required")


EMBEDDINGS = ("visual.trunk.pos_embed", "visual.trunk.cls_token", "visual.trunk.attn_pool.latent",
              "text.positional_embedding", "text.token_embedding.weight")
# Projections open_clip stores as a bare [in, out] parameter (used as x @ P), not as a Linear.
IN_OUT_MATRICES = ("text.text_projection",)


def randomize(model, seed):
    """Replaces every parameter with seeded random values of a sensible scale: LayerNorm weights
    1 + 0.2·noise, biases (LayerNorm offsets included) 0.1·noise, matrices and convolution
    kernels noise/sqrt(fan_in) (fan_in = shape[0] for the [in, out] IN_OUT_MATRICES, else the
    product of shape[1:]), embeddings (patch positions, class token, attention-pool latent, token
    and text positions) 0.5·noise. logit_scale and logit_bias are left alone (set them afterwards).
    Default initializations leave LayerNorms at 1/0 and biases at 0, which would let bugs in
    those paths go unnoticed."""
    norms = set()
    for module_name, module in model.named_modules():
        if isinstance(module, torch.nn.LayerNorm):
            norms.update(f"{module_name}.{p}" for p, _ in module.named_parameters(recurse=False))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            noise = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if name in ("logit_scale", "logit_bias"):
                continue
            if name in norms and name.endswith("weight"):
                p.copy_(1 + 0.2 * noise)
            elif name.endswith("bias"):  # also in_proj_bias and LayerNorm biases
                p.copy_(0.1 * noise)
            elif name in EMBEDDINGS:
                p.copy_(0.5 * noise)
            elif name in IN_OUT_MATRICES and p.ndim == 2:
                p.copy_(noise / math.sqrt(p.shape[0]))
            elif p.ndim >= 2:
                p.copy_(noise / math.sqrt(int(np.prod(p.shape[1:]))))
            else:
                raise ValueError(f"no randomization rule for parameter {name} {tuple(p.shape)}")


def save_npy(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


@contextlib.contextmanager
def reduced_timm(**overrides):
    """Within the block, timm.create_model (which open_clip's TimmModel calls) receives
    `overrides` on top of its arguments; the model function's own defaults give way to them."""
    import timm

    original = timm.create_model
    calls = []

    def create_model(model_name, *args, **kwargs):
        calls.append(model_name)
        return original(model_name, *args, **{**kwargs, **overrides})

    timm.create_model = create_model
    try:
        yield calls
    finally:
        timm.create_model = original


def reduction_kwargs(case):
    """create_model keyword overrides (they replace keys of the model config): the real text_cfg
    and vision_cfg of the model with smaller sizes, and embed_dim = the vision width."""
    import open_clip

    cfg = open_clip.get_model_config(case["model"])
    text_cfg = copy.deepcopy(cfg["text_cfg"])
    text_cfg.update(case["text"])
    vision_cfg = copy.deepcopy(cfg["vision_cfg"])
    vision_cfg["image_size"] = case["vision"]["image_size"]
    return dict(embed_dim=case["vision"]["width"], text_cfg=text_cfg, vision_cfg=vision_cfg)


def timm_kwargs(case):
    v = case["vision"]
    return dict(img_size=v["image_size"], patch_size=v["patch_size"], embed_dim=v["width"], depth=v["layers"],
                num_heads=v["heads"], mlp_ratio=v["mlp_ratio"])


def build_reduced(case, directory=None):
    """The reduced model: built from the built-in config (directory None) or, to check what was
    written, loaded by open_clip from `local-dir:<directory>` with the same reductions."""
    import open_clip

    name = case["model"] if directory is None else f"local-dir:{directory}"
    with reduced_timm(**timm_kwargs(case)) as calls:
        model = open_clip.create_model(name, pretrained=None, **reduction_kwargs(case))
    timm_name = open_clip.get_model_config(case["model"])["vision_cfg"]["timm_model_name"]
    assert calls == [timm_name], calls
    return model.eval()


def preprocess_cfg_for_hub(model_name):
    """preprocess_cfg as open_clip's push_to_hf_hub.save_config_for_hf writes it for a model
    created with the preprocessing of its pretrained `webli` tag (SigLIP's _slpcfg: mean and std
    0.5, bicubic, squash) or, for models without one, of their only pretrained tag (PE-Core's
    `meta`, _pecfg: mean and std 0.5, bilinear, squash). save_config_for_hf writes mean, std,
    interpolation and resize_mode (not the size, which open_clip takes from
    model_cfg.vision_cfg.image_size)."""
    import open_clip

    def settings(tag):
        cfg = open_clip.get_pretrained_cfg(model_name, tag)
        return {"mean": list(cfg["mean"]), "std": list(cfg["std"]),
                "interpolation": cfg["interpolation"], "resize_mode": cfg["resize_mode"]}

    tags = open_clip.list_pretrained_tags_by_model(model_name)
    if "webli" in tags:
        return settings("webli")
    # Several tags (CoCa's, EVA's) are accepted when they all preprocess alike.
    all_settings = [settings(tag) for tag in tags]
    assert all_settings and all(s == all_settings[0] for s in all_settings), \
        f"{model_name}: no `webli` tag and tags with different preprocessing: {tags}"
    return all_settings[0]


def write_checkpoint(model, model_name, directory):
    """open_clip_config.json (the real built-in config of `model_name` + preprocess_cfg) and
    open_clip_model.safetensors (state_dict() as is, contiguous F32). Returns the state dict."""
    import open_clip
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float32).contiguous() for k, v in model.state_dict().items()}
    save_file(state, directory / "open_clip_model.safetensors", metadata={"format": "pt"})
    (directory / "open_clip_model.safetensors").chmod(0o644)  # safetensors creates it 0600
    config = {"model_cfg": open_clip.get_model_config(model_name), "preprocess_cfg": preprocess_cfg_for_hub(model_name)}
    (directory / "open_clip_config.json").write_text(json.dumps(config, indent=2) + "\n")
    return state


def activation_name(module):
    """"gelu" (erf) or "gelu_pytorch_tanh" for a torch GELU or timm GELUTanh module."""
    from timm.layers.activations import GELUTanh

    if isinstance(module, GELUTanh):
        return "gelu_pytorch_tanh"
    if isinstance(module, torch.nn.GELU):
        return {"none": "gelu", "tanh": "gelu_pytorch_tanh"}[module.approximate]
    raise ValueError(f"unexpected activation {module!r}")


def layer_norm_eps(module):
    values = {m.eps for m in module.modules() if isinstance(m, torch.nn.LayerNorm)}
    assert len(values) == 1, values
    return values.pop()


def describe(model, case):
    """reduced.json, read off the built model (and checked against the case's intended sizes)."""
    trunk, text = model.visual.trunk, model.text
    block = trunk.blocks[0]
    pool = trunk.attn_pool
    vision = {
        "image_size": trunk.patch_embed.img_size[0],
        "patch_size": trunk.patch_embed.patch_size[0],
        "width": trunk.embed_dim,
        "layers": len(trunk.blocks),
        "heads": block.attn.num_heads,
        "mlp_width": block.mlp.fc1.out_features,
        "activation": activation_name(block.mlp.act),
        "eps": layer_norm_eps(trunk),
    }
    # The attention pool uses the trunk's heads, MLP width and activation.
    assert pool.num_heads == vision["heads"] and pool.mlp.fc1.out_features == vision["mlp_width"]
    assert activation_name(pool.mlp.act) == vision["activation"] and pool.latent_len == 1
    resblock = text.transformer.resblocks[0]
    text_desc = {
        "vocab_size": text.vocab_size,
        "context_length": text.context_length,
        "width": text.width,
        "layers": len(text.transformer.resblocks),
        "heads": resblock.attn.num_heads,
        "mlp_width": resblock.mlp.c_fc.out_features,
        "activation": activation_name(resblock.mlp.gelu),
        "eps": layer_norm_eps(text),
    }
    v, t = case["vision"], case["text"]
    assert (vision["image_size"], vision["patch_size"], vision["width"], vision["layers"], vision["heads"]) == \
        (v["image_size"], v["patch_size"], v["width"], v["layers"], v["heads"]), vision
    assert vision["mlp_width"] == int(v["width"] * v["mlp_ratio"]), vision
    assert (text_desc["vocab_size"], text_desc["context_length"], text_desc["width"], text_desc["layers"],
            text_desc["heads"]) == (t["vocab_size"], t["context_length"], t["width"], t["layers"], t["heads"]), text_desc
    return {
        "vision": vision,
        "text": text_desc,
        "embed_dim": model.text.output_dim,
        "logit_scale": float(model.logit_scale.item()),
        "logit_bias": float(model.logit_bias.item()),
        "timm_model_name": model.visual.trunk.default_cfg["architecture"],
        "open_clip_model": case["model"],
    }


def layer_pattern(key):
    return re.sub(r"\.(blocks|resblocks)\.\d+\.", r".\1.#.", key)


def check_against_full_size(state, model_name):
    """The reduced state dict has exactly the key names of the full-size model (up to the number
    of layers) with tensors of the same ranks. The full-size model is built on the meta device."""
    import open_clip

    with torch.device("meta"):
        full = open_clip.create_model(model_name, pretrained=None, device="meta")
    full_state = full.state_dict()
    full_patterns = {layer_pattern(k): v.ndim for k, v in full_state.items()}
    patterns = {layer_pattern(k): v.ndim for k, v in state.items()}
    assert patterns == full_patterns, (set(patterns) ^ set(full_patterns))
    assert set(state) <= set(full_state), set(state) - set(full_state)
    return full_state


def token_batches(vocab, context, seed):
    """Four full-length sequences (random ids; one starting with 0 and ending with vocab-1, one
    ending in a run of 1s as SigLIP's tokenizer pads) and three shorter ones of lengths 1, 5 and
    context-1. Every id is in [0, vocab)."""
    g = torch.Generator().manual_seed(seed)

    def ids(n):
        return torch.randint(0, vocab, (n,), generator=g).tolist()

    full = [ids(context) for _ in range(4)]
    full[1][0], full[1][-1] = 0, vocab - 1
    full[2] = ids(3) + [1] * (context - 3)
    short = [ids(n) for n in (1, 5, context - 1)]
    for sequence in full + short:
        assert all(0 <= i < vocab for i in sequence)
    return {"full": full, "short": short}


def make_case(root, case):
    import open_clip  # noqa: F401

    directory = root / "openclip-timm" / case["case"]
    torch.manual_seed(0)
    model = build_reduced(case)
    randomize(model, seed=case["seed"])
    with torch.no_grad():
        model.logit_scale.fill_(case["logit_scale"])
        model.logit_bias.fill_(case["logit_bias"])
    assert set(model.state_dict()) == {k for k, _ in model.named_parameters()}, "unexpected buffers"
    state = write_checkpoint(model, case["model"], directory)
    check_against_full_size(state, case["model"])
    reduced = describe(model, case)
    assert reduced["embed_dim"] == reduced["vision"]["width"]
    (directory / "reduced.json").write_text(json.dumps(reduced, indent=2) + "\n")

    size = case["vision"]["image_size"]
    px = torch.from_numpy(np.load(root / "pixels" / f"{size}.npy"))
    assert px.shape == (3, 3, size, size) and px.dtype == torch.float32, px.shape
    tokens = token_batches(case["text"]["vocab_size"], case["text"]["context_length"], seed=case["seed"] + 1)
    (directory / "tokens.json").write_text(json.dumps(tokens) + "\n")
    with torch.no_grad():
        image = model.encode_image(px)
        text_full = model.encode_text(torch.tensor(tokens["full"]))
        text_short = torch.cat([model.encode_text(torch.tensor([s])) for s in tokens["short"]])
    embed = reduced["embed_dim"]
    assert image.shape == (3, embed) and text_full.shape == (4, embed) and text_short.shape == (3, embed)
    save_npy(directory / "image.npy", image.numpy())
    save_npy(directory / "text-full.npy", text_full.numpy())
    save_npy(directory / "text-short.npy", text_short.numpy())

    # open_clip itself must load what was written (with the same reductions) and agree exactly.
    reloaded = build_reduced(case, directory)
    for k, v in reloaded.state_dict().items():
        assert torch.equal(v, state[k]), k
    with torch.no_grad():
        assert torch.equal(reloaded.encode_image(px), image)
        assert torch.equal(reloaded.encode_text(torch.tensor(tokens["full"])), text_full)
    print(f"{case['case']}: {len(state)} tensors, "
          f"{sum(v.numel() for v in state.values())} parameters, embed {embed}")


README = """\
open_clip SigLIP / SigLIP 2 checkpoints with timm image towers, for CLIPModelsTests.

Made by `Scripts/make_openclip_timm_fixtures.py` with torch {torch}, open_clip_torch {open_clip},
timm {timm}, safetensors {safetensors}, numpy {numpy} (the script checks these versions and is
deterministic: every random tensor comes from a seeded `torch.Generator`). All weights are
random; no trained model is included.

Each folder is laid out as open_clip's Hub export: `open_clip_config.json` and
`open_clip_model.safetensors` (F32, the `state_dict()` of an open_clip `CustomTextCLIP`: keys
`visual.trunk.*` of timm's VisionTransformer with `global_pool='map'`, `text.*` of open_clip's
`TextTransformer`, `logit_scale`, `logit_bias`, both 0-dimensional). `open_clip_config.json`
holds the REAL built-in `model_cfg` of the named model, unchanged, so it names full-size towers;
the weights are far smaller. `reduced.json` gives the sizes actually used (vision image_size,
patch_size, width, layers, heads, mlp_width, activation, eps; text vocab_size, context_length,
width, layers, heads, mlp_width, activation, eps; embed_dim, logit_scale, logit_bias,
timm_model_name, open_clip_model).

    siglip-base/       ViT-B-16-SigLIP (vit_base_patch16_siglip_224; exact GELU in both towers).
                       Vision: image 32, patch 8, width 48, 2 layers, 4 heads, MLP 120.
                       Text: vocab 300, context 12, width 32, 2 layers, 2 heads, MLP 64. embed 48.
    siglip2-base/      ViT-B-16-SigLIP2 (same timm trunk, exact GELU; text GELU tanh).
                       Vision: image 40, patch 10, width 40, 2 layers, 2 heads, MLP 80.
                       Text: vocab 320, context 10, width 24, 2 layers, 3 heads, MLP 96. embed 40.
    siglip-so400m/     ViT-SO400M-14-SigLIP-384 (vit_so400m_patch14_siglip_384; exact GELU).
                       Vision: image 36 in 8-px patches (4x4 grid; the 4-px remainder at the right
                       and bottom is never seen by the convolution), width 32, 3 layers, 2 heads,
                       MLP 119 (int(32 x 3.7362)). Text: vocab 200, context 14, width 28,
                       2 layers, 2 heads, MLP 104 (int(28 x 3.7362)). embed 32.
    siglip2-giantopt/  ViT-gopt-16-SigLIP2-256 (vit_giantopt_patch16_siglip_256; GELU tanh in
                       both towers). Vision: image 48, patch 16, width 24, 2 layers, 2 heads, MLP 72.
                       Text: vocab 260, context 8, width 20, 2 layers, 4 heads, MLP 74. embed 24.
    siglip-i18n-so400m/ ViT-SO400M-16-SigLIP-i18n-256 (vit_so400m_patch16_siglip_256; a text
                       tower with proj_type "none": no projection, its width is the embedding's).
                       Vision: image 32, patch 8, width 36, 2 layers, 3 heads, MLP 134.
                       Text: vocab 240, context 9, width 36, 2 layers, 2 heads, MLP 134. embed 36.

In every case but siglip-i18n-so400m the text width differs from embed_dim (the text
projection is a Linear with bias); embed_dim equals the vision width (timm_proj "none": the attention pool's output is
the embedding). All LayerNorms use eps 1e-6.

References, computed by open_clip in float32:
    image.npy        [3, embed]  model.encode_image(pixels/<image_size>.npy), not normalized.
    tokens.json      "full": 4 id sequences of exactly the context length; "short": 3 sequences
                     of lengths 1, 5 and context-1. Ids in [0, vocab).
    text-full.npy    [4, embed]  model.encode_text(full batch), not normalized.
    text-short.npy   [3, embed]  model.encode_text of each short sequence alone (its own
                     length; open_clip adds positional_embedding[:length] and pools the last
                     position), stacked.

Tests require max |ours - reference| <= 1e-4 x max |reference| for every output. An
independent float64 re-implementation from the safetensors and reduced.json alone agrees to
< 1e-6 of max |reference|. Note that exact and tanh GELU differ by at most 4.7e-4 (near |x| = 2.7):
swapping the GELU variant of both towers moves these references by only 0.9e-4 to 2.2e-4 of
max |reference|, so a test that must tell the two GELUs apart needs a tolerance of 2e-5 or less.
"""


def main():
    check_versions()
    torch.set_num_threads(1)
    default = Path(__file__).resolve().parent.parent / "Tests" / "CLIPModelsTests" / "Fixtures"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    for case in CASES:
        make_case(root, case)
    out = root / "openclip-timm"
    (out / "README.md").write_text(README.format(**PINNED))
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"fixtures written to {out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
