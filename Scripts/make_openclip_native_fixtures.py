#!/usr/bin/env python3
"""Writes Tests/CLIPModelsTests/Fixtures/openclip-native: tiny random-weight checkpoints of
open_clip's NATIVE (non-timm) tower variants CLIPA and CoCa, exactly as open_clip lays them out,
with references computed by open_clip, checked against an independent float64 numpy forward pass
(`numpy_image` / `numpy_text` below, from the safetensors file and reduced.json only).

  CLIPA  (ViT-L-14-CLIPA, ViT-H-14-CLIPA-336): an open_clip `CLIP` (text keys at the top level:
         token_embedding, positional_embedding, transformer.*, ln_final, text_projection) whose
         image tower is open_clip's `VisionTransformer` with no_ln_pre, pool_type "avg" and
         final_ln_after_pool, and whose text tower is bidirectional (no_causal_mask) with
         pool_type "last".
  CoCa   (coca_ViT-B-32, coca_ViT-L-14): an open_clip `CoCa` (visual.*, text.*, text_decoder.*)
         whose image tower is a `VisionTransformer` with an `AttentionalPooler`, whose text tower
         appends a learned cls_emb (embed_cls) and whose text_decoder (the captioning
         `MultimodalTransformer`) is in the checkpoint but not used by the references.

Pinned versions and conventions as Scripts/make_openclip_timm_fixtures.py, whose helpers this
script imports (version check, randomization, checkpoint writing, npy writing).

Usage: python3 Scripts/make_openclip_native_fixtures.py [fixtures-dir]
(default: Tests/CLIPModelsTests/Fixtures; the cases go to <fixtures-dir>/openclip-native/<case>/).
Deterministic. Reads pixels/{32,36,40,48}.npy.

The model is built by `open_clip.create_model(<name>, pretrained=None, embed_dim=..., vision_cfg=...,
text_cfg=..., [multimodal_cfg=...])`: the overrides are the REAL config dicts of <name> with
smaller sizes (every key of the real dict is kept; size keys the real dict leaves at their
defaults - vision mlp_ratio, CoCa's attn_pooler_queries, coca-l14's head_width - are added, see
CASES). open_clip_config.json holds the REAL config of <name>, unchanged; reduced.json the sizes
and options actually used, read off the built modules.

Each case folder: open_clip_config.json, open_clip_model.safetensors (state_dict(), F32),
reduced.json, image.npy [3, embed] (encode_image of pixels/<image>.npy, not normalized),
tokens.json ({"unpadded", "pad_zero"}: 4 sequences before padding and the same padded with 0 to
the context length, as each model's tokenizer emits them; see token_batches), text.npy [4, embed]
(encode_text of the pad_zero batch, not normalized).
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_openclip_timm_fixtures as timm_fixtures  # noqa: E402
from make_openclip_timm_fixtures import (  # noqa: E402
    PINNED, activation_name, check_versions, layer_norm_eps, randomize, save_npy)

CASES = [
    # No head_width key in the real L config: the default 64 applies, so width 64 is ONE head.
    dict(case="clipa-l14", family="clipa", model="ViT-L-14-CLIPA", tag="datacomp1b", seed=601,
         embed_dim=40, logit_scale=4.25,
         vision=dict(image_size=32, patch_size=8, width=64, layers=2, mlp_ratio=2.5),
         text=dict(vocab_size=300, context_length=12, width=32, heads=2, layers=2, mlp_ratio=2.0)),
    # head_width 12 (the real H has 80): 48 / 12 = 4 heads; 3 layers; 5x5 grid.
    dict(case="clipa-h14-336", family="clipa", model="ViT-H-14-CLIPA-336", tag="datacomp1b", seed=602,
         embed_dim=24, logit_scale=3.75,
         vision=dict(image_size=40, patch_size=8, width=48, head_width=12, layers=3, mlp_ratio=2.0),
         text=dict(vocab_size=320, context_length=10, width=40, heads=4, layers=2, mlp_ratio=2.5)),
    # CoCa: text width = multimodal width = embed_dim (the decoder consumes the text tokens and
    # cross-attends to the embed_dim-wide pooler outputs), vision width != embed_dim (as in the real
    # models, so the pooler's attention has separate q/k/v projection matrices).
    dict(case="coca-b32", family="coca", model="coca_ViT-B-32", tag="laion2b_s13b_b90k", seed=603,
         embed_dim=32, logit_scale=4.5,
         vision=dict(image_size=40, patch_size=10, width=64, layers=2, mlp_ratio=2.0,
                     attn_pooler_heads=4, attn_pooler_queries=5),
         text=dict(vocab_size=300, context_length=10, width=32, heads=2, layers=2, mlp_ratio=2.0),
         multimodal=dict(vocab_size=300, context_length=10, width=32, heads=4, layers=1, attn_pooler_heads=4)),
    # head_width 16 added (no such key in the real config): 48 / 16 = 3 heads; 6x6 grid.
    dict(case="coca-l14", family="coca", model="coca_ViT-L-14", tag="laion2b_s13b_b90k", seed=604,
         embed_dim=24, logit_scale=4.0,
         vision=dict(image_size=36, patch_size=6, width=48, head_width=16, layers=2, mlp_ratio=2.5,
                     attn_pooler_heads=2, attn_pooler_queries=7),
         text=dict(vocab_size=280, context_length=12, width=24, heads=3, layers=2, mlp_ratio=2.0),
         multimodal=dict(vocab_size=280, context_length=12, width=24, heads=2, layers=1, attn_pooler_heads=2)),
]

# Agreement required between the float64 numpy forward and open_clip's float32 references.
NUMPY_TOLERANCE = 1e-5
BERT_CLS_ID = 101  # bert-base-uncased [CLS]; [SEP] 102 becomes 0 (strip_sep_token), [PAD] is 0

# Parameters the shared randomize() does not know by name (its rules are otherwise unchanged).
EXTRA_EMBEDDINGS = ("visual.class_embedding", "visual.positional_embedding", "positional_embedding",
                    "token_embedding.weight", "text.cls_emb", "visual.attn_pool.query")
EXTRA_IN_OUT_MATRICES = ("visual.proj", "text_projection", "text_decoder.text_projection")


# ----------------------------------------------------------------------------------------------
# Building, randomizing and writing the reduced model with open_clip.

def reduction_kwargs(case):
    import open_clip

    cfg = open_clip.get_model_config(case["model"])
    kwargs = dict(embed_dim=case["embed_dim"])
    for key, sizes in (("vision_cfg", case["vision"]), ("text_cfg", case["text"]),
                       ("multimodal_cfg", case.get("multimodal"))):
        if sizes is None:
            assert key not in cfg, key
            continue
        reduced = copy.deepcopy(cfg[key])
        reduced.update(sizes)
        assert set(cfg[key]) <= set(reduced)  # every key of the real dict kept
        kwargs[key] = reduced
    return kwargs


def build_reduced(case, directory=None):
    import open_clip

    name = case["model"] if directory is None else f"local-dir:{directory}"
    model = open_clip.create_model(name, pretrained=None, **reduction_kwargs(case))
    expected = {"clipa": "CLIP", "coca": "CoCa"}[case["family"]]
    assert type(model).__name__ == expected, type(model)
    return model.eval()


@contextlib.contextmanager
def extended_randomize_rules():
    """randomize() names its embedding and [in, out] matrix parameters in two module tuples;
    extend them for the key names of open_clip's native towers while randomizing."""
    saved = timm_fixtures.EMBEDDINGS, timm_fixtures.IN_OUT_MATRICES
    timm_fixtures.EMBEDDINGS = saved[0] + EXTRA_EMBEDDINGS
    timm_fixtures.IN_OUT_MATRICES = saved[1] + EXTRA_IN_OUT_MATRICES
    try:
        yield
    finally:
        timm_fixtures.EMBEDDINGS, timm_fixtures.IN_OUT_MATRICES = saved


def preprocess_cfg_for_tag(model_name, tag):
    """preprocess_cfg as open_clip's push_to_hf_hub.save_config_for_hf writes it (mean, std,
    interpolation, resize_mode) for a model created with the preprocessing of pretrained `tag`."""
    import open_clip

    assert tag in open_clip.list_pretrained_tags_by_model(model_name), (model_name, tag)
    cfg = open_clip.get_pretrained_cfg(model_name, tag)
    return {"mean": list(cfg["mean"]), "std": list(cfg["std"]),
            "interpolation": cfg["interpolation"], "resize_mode": cfg["resize_mode"]}


def write_checkpoint(model, case, directory):
    """The shared write_checkpoint, with the preprocess_cfg of the case's pretrained tag (the
    shared helper picks `webli` or the only tag; CLIPA-H and CoCa have two tags each)."""
    saved = timm_fixtures.preprocess_cfg_for_hub
    timm_fixtures.preprocess_cfg_for_hub = lambda name: preprocess_cfg_for_tag(name, case["tag"])
    try:
        return timm_fixtures.write_checkpoint(model, case["model"], directory)
    finally:
        timm_fixtures.preprocess_cfg_for_hub = saved


def layer_pattern(key):
    return re.sub(r"\.(resblocks|cross_attn)\.\d+\.", r".\1.#.", key)


def check_full_size_shapes(state, model_name):
    """Key names as the full-size model (up to the layer counts), same ranks, no larger shapes.
    The full-size model is built on the meta device."""
    import open_clip

    with torch.device("meta"):
        full = open_clip.create_model(model_name, pretrained=None, device="meta")
    full_state = full.state_dict()
    assert {layer_pattern(k): v.ndim for k, v in state.items()} == \
        {layer_pattern(k): v.ndim for k, v in full_state.items()}
    assert set(state) <= set(full_state), set(state) - set(full_state)
    for k, v in state.items():
        assert all(r <= f for r, f in zip(v.shape, full_state[k].shape)), (k, v.shape, full_state[k].shape)


# ----------------------------------------------------------------------------------------------
# reduced.json, read off the built modules.

def describe_blocks(transformer):
    """Sizes of an open_clip Transformer of default ResidualAttentionBlocks (nn.MultiheadAttention
    with packed in_proj_weight [3w, w] + in_proj_bias, pre-norm, no layer scale)."""
    from open_clip.transformer import ResidualAttentionBlock

    blocks = transformer.resblocks
    first = blocks[0]
    for b in blocks:
        assert type(b) is ResidualAttentionBlock and not hasattr(b, "ln_1_kv")
        assert isinstance(b.ls_1, torch.nn.Identity) and isinstance(b.ls_2, torch.nn.Identity)
        assert b.attn._qkv_same_embed_dim and b.attn.in_proj_bias is not None and b.attn.bias_k is None
        assert b.attn.batch_first and b.attn.num_heads == first.attn.num_heads
    return {
        "width": transformer.width,
        "layers": len(blocks),
        "heads": first.attn.num_heads,
        "head_dim": first.attn.head_dim,
        "mlp_width": first.mlp.c_fc.out_features,
        "activation": activation_name(first.mlp.gelu),
    }


def describe(model, case):
    from open_clip.transformer import AttentionalPooler

    family = case["family"]
    visual = model.visual
    text = model if family == "clipa" else model.text
    blocks = describe_blocks(visual.transformer)
    assert visual.class_embedding is not None and visual.conv1.bias is None
    assert visual.positional_embedding.shape[0] == visual.grid_size[0] * visual.grid_size[1] + 1
    assert isinstance(visual.patch_dropout, torch.nn.Identity)
    vision = {
        "image_size": visual.image_size[0],
        "patch_size": visual.patch_size[0],
        "grid": list(visual.grid_size),
        **blocks,
        "head_width_config": case["vision"].get("head_width", 64),
        "eps": layer_norm_eps(visual),
        "class_token": True,
        "patch_bias": False,
        "ln_pre": not isinstance(visual.ln_pre, torch.nn.Identity),
    }
    assert vision["heads"] == vision["width"] // vision["head_width_config"]
    if family == "clipa":
        assert visual.attn_pool is None and visual.pool_type == "avg" and visual.final_ln_after_pool
        assert not vision["ln_pre"]
        vision.update({
            "pool": "avg",
            "pool_includes_class_token": False,  # _global_pool: x[:, 1:].mean(dim=1)
            "final_ln_after_pool": True,         # ln_post on the pooled vector only
            "ln_post_width": visual.ln_post.normalized_shape[0],
            "proj_shape": list(visual.proj.shape),  # [width, embed], used as pooled @ proj
        })
    else:
        pool = visual.attn_pool
        attn = pool.attn
        assert isinstance(pool, AttentionalPooler) and visual.attn_pool_contrastive is None
        assert visual.attn_pool_type == "" and visual.pool_type == "tok" and vision["ln_pre"]
        assert not attn._qkv_same_embed_dim and attn.in_proj_weight is None and attn.bias_k is None
        assert attn.batch_first and attn.in_proj_bias is not None
        vision.update({
            "pool": "attentional",
            "attn_pool_queries": pool.query.shape[0],
            "attn_pool_width": pool.query.shape[1],  # = embed_dim (the pooler's d_model)
            "attn_pool_kv_width": attn.kdim,          # = vision width
            "attn_pool_heads": attn.num_heads,
            "attn_pool_head_dim": attn.head_dim,
            "attn_pool_separate_qkv_proj": True,
            "attn_pool_output_query": 0,              # _global_pool 'tok': x[:, 0]
            "final_ln_after_pool": bool(visual.final_ln_after_pool),  # ignored with the attention pool
            "ln_post_width": visual.ln_post.normalized_shape[0],
            "proj_shape": list(visual.proj.shape),    # [embed, embed]
        })
        assert vision["attn_pool_width"] == case["embed_dim"] and vision["attn_pool_kv_width"] == vision["width"]

    text_blocks = describe_blocks(text.transformer)
    text_desc = {
        "key_prefix": "" if family == "clipa" else "text.",
        "vocab_size": text.token_embedding.num_embeddings,
        "context_length": text.context_length,
        "positions": text.positional_embedding.shape[0],
        **text_blocks,
        "eps": layer_norm_eps(text.transformer),
        "projection_bias": False,
        "projection_shape": list(text.text_projection.shape),
        "pad_id": 0,
    }
    assert isinstance(text.text_projection, torch.nn.Parameter)
    if family == "clipa":
        assert model.attn_mask is None and model.text_pool_type == "last"
        text_desc.update({
            "causal_mask": False,
            "pad_mask": False,
            "cls_emb": False,
            "pool": "last",              # x[:, -1]: the last position, whatever its id (usually a 0)
            "ln_final": "all positions, before pooling",
            "cls_id": BERT_CLS_ID,
        })
    else:
        assert text.cls_emb is not None and text.attn_mask is not None and not text.correct_cls_mask
        assert text.pad_id == 0 and not text.use_pad_mask and text.output_tokens
        assert text_desc["positions"] == text_desc["context_length"] + 1
        text_desc.update({
            "causal_mask": True,
            "pad_mask": "legacy_shifted",  # correct_cls_mask false: key k valid iff k == 0 or ids[k-1] != pad_id
            "cls_emb": True,               # appended after the ids, position len(ids)
            "pool": "cls",                 # x[:, -1] = the appended cls token
            "ln_final": "pooled cls token only, after pooling",
            "sot_id": text_desc["vocab_size"] - 2,
            "eot_id": text_desc["vocab_size"] - 1,
        })
        decoder = model.text_decoder
        dec = {
            "width": decoder.width,
            "layers": len(decoder.resblocks),
            "heads": decoder.resblocks[0].attn.num_heads,
            "mlp_width": decoder.resblocks[0].mlp.c_fc.out_features,
            "context_length": decoder.context_length,
            "output_dim": decoder.text_projection.shape[1],
            "cross_attn_kv_width": decoder.cross_attn[0].attn.kdim,
            "used_by_references": False,
        }
        assert dec["width"] == text_desc["width"] == case["embed_dim"] == dec["cross_attn_kv_width"]
        assert dec["output_dim"] == text_desc["vocab_size"]
    v, t = case["vision"], case["text"]
    assert (vision["image_size"], vision["patch_size"], vision["width"], vision["layers"], vision["mlp_width"]) == \
        (v["image_size"], v["patch_size"], v["width"], v["layers"], int(v["width"] * v["mlp_ratio"]))
    assert (text_desc["vocab_size"], text_desc["context_length"], text_desc["width"], text_desc["layers"],
            text_desc["heads"], text_desc["mlp_width"]) == \
        (t["vocab_size"], t["context_length"], t["width"], t["layers"], t["heads"], int(t["width"] * t["mlp_ratio"]))
    assert vision["proj_shape"][1] == case["embed_dim"] == text_desc["projection_shape"][1]
    out = {
        "family": family,
        "model_class": type(model).__name__,
        "vision": vision,
        "text": text_desc,
        "embed_dim": case["embed_dim"],
        "logit_scale": float(model.logit_scale.item()),
        "logit_bias": None,
        "open_clip_model": case["model"],
        "pretrained_tag_for_preprocess": case["tag"],
    }
    if family == "coca":
        out["text_decoder"] = dec
    return out


def token_batches(family, vocab, context, seed):
    """4 sequences as each tokenizer emits them, before padding ("unpadded") and padded with 0 to
    the context length ("pad_zero", the reference input).
      clipa (HFTokenizer bert-base-uncased, strip_sep_token): [101 (CLS), ids...]; the [SEP] after
        the ids becomes 0 and is counted as padding. Rows: 1 and 4 ids after CLS; a row filling the
        whole context with non-zero ids (last id != 0); and a row truncated as the tokenizer does,
        [CLS, context-2 ids, SEP->0]. Ids in [103, vocab) (BERT's specials are below 103).
      coca (SimpleTokenizer): [sot, ids..., eot], sot = vocab-2, eot = vocab-1, ids in [1, sot-1).
        Lengths 2, 5, context and 7; the last row has a 0 at index 3 (id 0 is a real, rare BPE
        token, "!" not ending a word, which open_clip's pad mask treats as padding wherever it
        occurs)."""
    g = torch.Generator().manual_seed(seed)

    def ids(n, low, high):
        return torch.randint(low, high, (n,), generator=g).tolist()

    if family == "clipa":
        assert vocab > 103
        unpadded = [[BERT_CLS_ID] + ids(n, 103, vocab) for n in (1, 4)]
        unpadded.append([BERT_CLS_ID] + ids(context - 1, 103, vocab))
        unpadded.append([BERT_CLS_ID] + ids(context - 2, 103, vocab))  # + stripped SEP
    else:
        sot, eot = vocab - 2, vocab - 1
        unpadded = [[sot] + ids(n - 2, 1, sot - 1) + [eot] for n in (2, 5, context, 7)]
        unpadded[3][3] = 0
    pad_zero = [s + [0] * (context - len(s)) for s in unpadded]
    assert all(len(s) == context and all(0 <= i < vocab for i in s) for s in pad_zero)
    return {"unpadded": unpadded, "pad_zero": pad_zero}


# ----------------------------------------------------------------------------------------------
# Independent float64 forward pass: numpy only, from the safetensors file and reduced.json.

def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


_erf = np.vectorize(math.erf)


def gelu(x, kind):
    assert kind == "gelu", kind  # exact (erf) GELU: nn.GELU(), quick_gelu false in these configs
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def linear(x, w, b=None):
    return x @ w.T + (0 if b is None else b)


def split_heads(x, heads):
    """[N, heads*d] -> [heads, N, d]: head h is columns h*d ..< (h+1)*d."""
    n, width = x.shape
    return x.reshape(n, heads, width // heads).transpose(1, 0, 2)


def attention(q, k, v, heads, mask=None):
    """q [Nq, heads*d], k/v [Nk, heads*d] -> [Nq, heads*d]; mask [Nq, Nk] additive."""
    q, k, v = split_heads(q, heads), split_heads(k, heads), split_heads(v, heads)
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + mask
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    probs = scores / scores.sum(-1, keepdims=True)
    return (probs @ v).transpose(1, 0, 2).reshape(q.shape[1], -1)


def residual_blocks(x, w, prefix, desc, eps, mask=None):
    """open_clip ResidualAttentionBlocks: x += out_proj(MHA(ln_1 x)); x += c_proj(gelu(c_fc(ln_2 x)))."""
    width, heads = desc["width"], desc["heads"]
    for i in range(desc["layers"]):
        b = f"{prefix}transformer.resblocks.{i}."
        h = layer_norm(x, w[b + "ln_1.weight"], w[b + "ln_1.bias"], eps)
        qkv = linear(h, w[b + "attn.in_proj_weight"], w[b + "attn.in_proj_bias"])
        a = attention(qkv[:, :width], qkv[:, width:2 * width], qkv[:, 2 * width:], heads, mask)
        x = x + linear(a, w[b + "attn.out_proj.weight"], w[b + "attn.out_proj.bias"])
        h = layer_norm(x, w[b + "ln_2.weight"], w[b + "ln_2.bias"], eps)
        h = gelu(linear(h, w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"]), desc["activation"])
        x = x + linear(h, w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"])
    return x


def numpy_image(w, reduced, pixels, variant=()):
    """encode_image, float64, for pixels [B, 3, H, W]."""
    v = reduced["vision"]
    eps, width, patch = v["eps"], v["width"], v["patch_size"]
    gh, gw = v["grid"]
    p = "visual."
    kernel = w[p + "conv1.weight"].reshape(width, -1)  # [width, 3*patch*patch], (c, y, x) order
    outputs = []
    for image in pixels:
        patches = np.stack([image[:, i * patch:(i + 1) * patch, j * patch:(j + 1) * patch].reshape(-1)
                            for i in range(gh) for j in range(gw)])  # row-major grid
        x = patches @ kernel.T
        if "no_class_token" in variant:
            x = x + w[p + "positional_embedding"][1:]
        else:
            x = np.concatenate([w[p + "class_embedding"][None], x]) + w[p + "positional_embedding"]
        if v["ln_pre"] and "no_ln_pre" not in variant:
            x = layer_norm(x, w[p + "ln_pre.weight"], w[p + "ln_pre.bias"], eps)
        x = residual_blocks(x, w, p, v, eps)
        ln_post = (w[p + "ln_post.weight"], w[p + "ln_post.bias"], eps)
        if v["pool"] == "avg":
            tokens = x if ("avg_with_class" in variant or "no_class_token" in variant) else x[1:]
            if "tok_pool" in variant:
                tokens = x[:1]
            if "ln_post_before_pool" in variant:
                pooled = layer_norm(tokens, *ln_post).mean(0)
            else:
                pooled = layer_norm(tokens.mean(0), *ln_post)  # final_ln_after_pool
        else:
            # AttentionalPooler: learned queries (ln_q) attend over ALL tokens (class token
            # included) after ln_k; nn.MultiheadAttention with separate q/k/v matrices and one
            # packed in_proj_bias [q | k | v]; then ln_post on each query output; query 0 is the
            # pooled vector (the others are the decoder's image tokens).
            a = p + "attn_pool."
            e = v["attn_pool_width"]
            keys = x if "no_ln_k" in variant else layer_norm(x, w[a + "ln_k.weight"], w[a + "ln_k.bias"], eps)
            q = layer_norm(w[a + "query"], w[a + "ln_q.weight"], w[a + "ln_q.bias"], eps)
            bias = w[a + "attn.in_proj_bias"]
            y = attention(linear(q, w[a + "attn.q_proj_weight"], bias[:e]),
                          linear(keys, w[a + "attn.k_proj_weight"], bias[e:2 * e]),
                          linear(keys, w[a + "attn.v_proj_weight"], bias[2 * e:]),
                          v["heads"] if "pool_trunk_heads" in variant else v["attn_pool_heads"])
            y = linear(y, w[a + "attn.out_proj.weight"], w[a + "attn.out_proj.bias"])
            if "no_ln_post" not in variant:
                y = layer_norm(y, *ln_post)
            pooled = {"query_mean": y.mean(0), "last_query": y[-1]}.get(
                next((n for n in variant if n in ("query_mean", "last_query")), None), y[v["attn_pool_output_query"]])
        outputs.append(pooled @ w[p + "proj"])
    return np.stack(outputs)


def numpy_text(w, reduced, batch, variant=()):
    """encode_text, float64, for a batch of id sequences (each at its own length)."""
    t = reduced["text"]
    eps, pre = t["eps"], t["key_prefix"]
    outputs = []
    for ids in batch:
        ids = list(ids)
        x = w[pre + "token_embedding.weight"][ids]
        if t["cls_emb"]:
            x = np.concatenate([x, w[pre + "cls_emb"][None]])  # appended: position len(ids)
        n = len(x)
        x = x + w[pre + "positional_embedding"][:n]
        mask = np.zeros((n, n))
        causal = t["causal_mask"] != ("flip_causal" in variant)
        if causal:
            mask += np.triu(np.full((n, n), -np.inf), 1)
        pad_mask = t["pad_mask"] if "no_pad_mask" not in variant else False
        if "pad_mask" in variant:
            pad_mask = "keys"
        if pad_mask == "legacy_shifted" and "correct_cls_mask" not in variant:
            valid = np.array([True] + [i != t["pad_id"] for i in ids])
        elif pad_mask:  # pad keys masked at their own positions (the cls key, if any, valid)
            valid = np.array([i != t["pad_id"] for i in ids] + [True] * (n - len(ids)))
        else:
            valid = np.ones(n, bool)
        mask[:, ~valid] = -np.inf
        x = residual_blocks(x, w, pre, t, eps, mask)
        ln_final = (w[pre + "ln_final.weight"], w[pre + "ln_final.bias"], eps)
        if "argmax_pool" in variant:
            pooled = layer_norm(x[int(np.argmax(ids))], *ln_final)
        elif "first_pool" in variant:
            pooled = layer_norm(x[0], *ln_final)
        else:
            assert t["pool"] in ("last", "cls")
            pooled = layer_norm(x[-1], *ln_final)  # same per-token LayerNorm whether before or after
        outputs.append(pooled @ w[pre + "text_projection"])
    return np.stack(outputs)


VARIANTS = {  # plausible misreadings; the README reports how far each moves the references
    "clipa": {
        "image": {
            "avg_with_class": "average over ALL tokens, class token included",
            "ln_post_before_pool": "ln_post on every token, then the average",
            "tok_pool": "class token instead of the patch average",
            "no_class_token": "no class token prepended (positions 1... for the patches)",
        },
        "text": {
            "flip_causal": "causal mask applied",
            "pad_mask": "0-id keys masked",
            "argmax_pool": "pooled at the highest id instead of the last position",
            "first_pool": "pooled at the first position (CLS)",
        },
    },
    "coca": {
        "image": {
            "query_mean": "mean of all pooler queries instead of query 0",
            "last_query": "last pooler query instead of query 0",
            "no_ln_k": "pooler without ln_k on the tokens",
            "no_ln_post": "ln_post skipped",
            "no_ln_pre": "ln_pre skipped",
            "pool_trunk_heads": "pooler with the trunk's head count",
        },
        "text": {
            "correct_cls_mask": "pad mask unshifted (key k masked iff ids[k] == 0; correct_cls_mask true)",
            "no_pad_mask": "no pad mask (causal only)",
            "flip_causal": "no causal mask (pad mask kept)",
            "argmax_pool": "pooled at the eot (highest id) instead of the cls token",
        },
    },
}


def load_numpy_weights(path):
    from safetensors.numpy import load_file

    return {k: v.astype(np.float64) for k, v in load_file(str(path)).items()}


def relative_error(ours, reference):
    return float(np.abs(ours - reference).max() / np.abs(reference).max())


# ----------------------------------------------------------------------------------------------

def make_case(root, case):
    directory = root / "openclip-native" / case["case"]
    torch.manual_seed(0)
    model = build_reduced(case)
    with extended_randomize_rules():
        randomize(model, seed=case["seed"])
    with torch.no_grad():
        model.logit_scale.fill_(case["logit_scale"])
    assert getattr(model, "logit_bias", None) is None
    assert set(model.state_dict()) == {k for k, _ in model.named_parameters()}, "unexpected buffers"
    state = write_checkpoint(model, case, directory)
    check_full_size_shapes(state, case["model"])
    reduced = describe(model, case)
    (directory / "reduced.json").write_text(json.dumps(reduced, indent=2) + "\n")

    size = case["vision"]["image_size"]
    px = torch.from_numpy(np.load(root / "pixels" / f"{size}.npy"))
    assert px.shape == (3, 3, size, size) and px.dtype == torch.float32, px.shape
    t = reduced["text"]
    tokens = token_batches(case["family"], t["vocab_size"], t["context_length"], seed=case["seed"] + 1)
    (directory / "tokens.json").write_text(json.dumps(tokens) + "\n")
    ids = torch.tensor(tokens["pad_zero"])
    with torch.no_grad():
        image = model.encode_image(px, normalize=False)
        text = model.encode_text(ids, normalize=False)
        if case["family"] == "coca":  # the whole model (decoder included) runs at these sizes
            out = model(px, ids[:3])  # one caption per image
            assert out["logits"].shape == (3, t["context_length"] - 1, t["vocab_size"])
    embed = reduced["embed_dim"]
    assert image.shape == (3, embed) and text.shape == (4, embed)
    save_npy(directory / "image.npy", image.numpy())
    save_npy(directory / "text.npy", text.numpy())

    # open_clip itself must load what was written (with the same reductions) and agree exactly.
    reloaded = build_reduced(case, directory)
    for k, v in reloaded.state_dict().items():
        assert torch.equal(v, state[k]), k
    with torch.no_grad():
        assert torch.equal(reloaded.encode_image(px, normalize=False), image)
        assert torch.equal(reloaded.encode_text(ids, normalize=False), text)

    # The independent float64 forward pass, from the files just written.
    w = load_numpy_weights(directory / "open_clip_model.safetensors")
    reduced_read = json.loads((directory / "reduced.json").read_text())
    pixels = np.load(root / "pixels" / f"{size}.npy").astype(np.float64)
    image_np = numpy_image(w, reduced_read, pixels)
    text_np = numpy_text(w, reduced_read, tokens["pad_zero"])
    image_error = relative_error(image_np, np.load(directory / "image.npy").astype(np.float64))
    text_error = relative_error(text_np, np.load(directory / "text.npy").astype(np.float64))
    assert max(image_error, text_error) < NUMPY_TOLERANCE, (image_error, text_error)
    # How far the unpadded sequences (each at its own length) are from the references: padding
    # is NOT inert in either family (reported, not required).
    unpadded_shift = relative_error(numpy_text(w, reduced_read, tokens["unpadded"]), text_np)
    variants = {}
    for name in VARIANTS[case["family"]]["image"]:
        variants[f"image {name}"] = relative_error(numpy_image(w, reduced_read, pixels, (name,)), image_np)
    for name in VARIANTS[case["family"]]["text"]:
        variants[f"text {name}"] = relative_error(numpy_text(w, reduced_read, tokens["pad_zero"], (name,)), text_np)
    print(f"{case['case']}: {len(state)} tensors, {sum(v.numel() for v in state.values())} parameters, "
          f"{(directory / 'open_clip_model.safetensors').stat().st_size / 1024:.0f} KiB, embed {embed}; "
          f"numpy float64 vs open_clip: image {image_error:.1e}, text {text_error:.1e}; "
          f"unpadded vs padded {unpadded_shift:.1e}")
    return {"image": image_error, "text": text_error, "unpadded": unpadded_shift, "variants": variants}


README = """\
open_clip native-tower CLIPA and CoCa checkpoints, for CLIPModelsTests.

Made by `Scripts/make_openclip_native_fixtures.py` with torch {torch}, open_clip_torch {open_clip},
timm {timm}, safetensors {safetensors}, numpy {numpy} (the script checks these versions and is
deterministic: every random tensor comes from a seeded `torch.Generator`). All weights are
random; no trained model is included.

Each folder is laid out as open_clip's Hub export: `open_clip_config.json` (the REAL built-in
`model_cfg` of the named model, unchanged, so it names full-size towers, and the `preprocess_cfg`
of its pretrained tag: CLIPA `datacomp1b` (ImageNet mean/std, bilinear, squash), CoCa
`laion2b_s13b_b90k` (OpenAI mean/std, bicubic, shortest)) and `open_clip_model.safetensors` (F32,
the `state_dict()` as open_clip saves it, with a 0-dimensional `logit_scale`, no `logit_bias`).
The models were built by `open_clip.create_model(name, pretrained=None, embed_dim=...,
vision_cfg=..., text_cfg=..., [multimodal_cfg=...])` with the real config dicts at smaller sizes.
`reduced.json` gives every size and option actually used, read off the built modules.

    clipa-l14/      ViT-L-14-CLIPA (class CLIP). Vision: image 32, patch 8 (4x4 grid), width 64,
                    2 layers, 1 head (no head_width key: default 64), MLP 160. Text: vocab 300,
                    context 12, width 32, 2 layers, 2 heads, MLP 64. embed 40.
    clipa-h14-336/  ViT-H-14-CLIPA-336 (class CLIP). Vision: image 40, patch 8 (5x5), width 48,
                    head_width 12 -> 4 heads, 3 layers, MLP 96. Text: vocab 320, context 10,
                    width 40, 2 layers, 4 heads, MLP 100. embed 24.
    coca-b32/       coca_ViT-B-32 (class CoCa). Vision: image 40, patch 10 (4x4), width 64,
                    2 layers, 1 head (default head_width 64), MLP 128; attentional pooler 5
                    queries, 4 heads of 8 (d_model 32 = embed, kv width 64). Text: vocab 300,
                    context 10 (+1 cls = 11 positions), width 32, 2 layers, 2 heads, MLP 64.
                    Decoder: width 32, 1 layer, 4 heads, MLP 128, context 10, output 300. embed 32.
    coca-l14/       coca_ViT-L-14 (class CoCa). Vision: image 36, patch 6 (6x6), width 48,
                    head_width 16 (key added) -> 3 heads, 2 layers, MLP 120; pooler 7 queries,
                    2 heads of 12 (d_model 24, kv width 48). Text: vocab 280, context 12 (+1 = 13
                    positions), width 24, 2 layers, 3 heads, MLP 48. Decoder: width 24, 1 layer,
                    2 heads, MLP 96, context 12, output 280. embed 24.

Full-size models all have MLP ratio 4 and 256 pooler queries (CoCa); the reductions add the
keys mlp_ratio (vision), attn_pooler_queries (CoCa) and head_width (coca-l14) to the real
dicts. Everywhere: exact (erf) GELU, LayerNorm eps 1e-5, no layer scale, no patch-embedding
bias, open_clip ResidualAttentionBlocks (pre-norm; nn.MultiheadAttention with packed
in_proj_weight [3w, w] and in_proj_bias [3w], q | k | v in that order, heads split as
contiguous column blocks).

CLIPA semantics (open_clip `VisionTransformer` / `CLIP.encode_text`):
  image: conv1 (no bias) -> prepend class_embedding -> + positional_embedding [grid+1, width]
         -> NO ln_pre (Identity, no keys) -> blocks -> mean over the PATCH tokens only
         (`_global_pool` 'avg' is x[:, 1:].mean(1): the class token exists and takes part in
         attention but is left out of the average) -> ln_post on the pooled vector
         (final_ln_after_pool) -> @ visual.proj [width, embed].
  text:  token_embedding + the FULL positional_embedding (so ids must be exactly context long)
         -> blocks with NO mask at all (no causal mask, no padding mask: 0-padding is attended)
         -> ln_final -> position -1 (pool_type "last": the last position, whatever its id; with
         the real tokenizer a 0 from padding or the stripped [SEP]) -> @ text_projection
         [width, embed] (no bias). Text keys have NO "text." prefix (token_embedding.weight,
         positional_embedding, transformer.resblocks.N.*, ln_final.*, text_projection).
  tokenizer: HFTokenizer bert-base-uncased, padding to max_length=32 with 0 and truncation, then
         strip_sep_token replaces every [SEP] (102) by 0: [101, ids..., 0, 0, ...].
CoCa semantics (open_clip `VisionTransformer` with attentional_pool, `TextTransformer` with
embed_cls; CoCa.encode_image / encode_text NORMALIZE by default - references use normalize=False):
  image: conv1 -> class token + positional_embedding -> ln_pre -> blocks -> AttentionalPooler
         over ALL grid+1 tokens: K/V input ln_k(x) (width), queries ln_q(query) [n_queries,
         embed]; nn.MultiheadAttention(embed, attn_pooler_heads, kdim=vdim=width): separate
         q_proj_weight [embed, embed], k_proj_weight / v_proj_weight [embed, width], packed
         in_proj_bias [3*embed], out_proj -> no residual -> ln_post (over embed) on every query
         -> query 0 is the pooled vector (pool_type 'tok'; queries 1.. are the decoder's image
         tokens and do not affect it) -> @ visual.proj [embed, embed]. final_ln_after_pool is
         ignored with the pooler.
  text:  token_embedding(ids) with cls_emb APPENDED (position len(ids) = context) ->
         + positional_embedding[:len+1] ([context+1, width]) -> blocks with causal mask PLUS the
         legacy (correct_cls_mask false) padding mask: key k is valid iff k == 0 or
         ids[k-1] != 0 (pad_id 0), i.e. the mask is shifted right by one: the FIRST padding
         position is attended, the cls token's own key is masked whenever the last id is 0, and
         any id 0 masks the key AFTER it -> take the last position (the cls token) ->
         ln_final on it only -> @ text.text_projection [width, embed].
  tokenizer: SimpleTokenizer, context 76: [49406, ids..., 49407, 0, ...] (truncated with eot last).
  text_decoder.* (MultimodalTransformer: resblocks.N, cross_attn.N with ln_1_kv, ln_final,
  text_projection [width, vocab]) is in the checkpoint as in real ones; it is not used by
  encode_image / encode_text (the script checks that the full captioning forward runs).

References, computed by open_clip in float32:
    image.npy    [3, embed]  model.encode_image(pixels/<image_size>.npy, normalize=False).
    tokens.json  "pad_zero": 4 id rows of exactly the context length, the reference input;
                 "unpadded": the same rows before the 0-padding.
                 clipa: [101, ids in [103, vocab)...]: 1 and 4 ids after 101, a row filling the
                 whole context (no 0 at all) and a row [101, context-2 ids] + the stripped SEP 0.
                 coca: [sot = vocab-2, ids in [1, vocab-3)..., eot = vocab-1] of lengths 2, 5,
                 context and 7; the last row has an id 0 at index 3 (id 0 is a real, rare BPE
                 token, "!" not ending a word; the pad mask treats it as padding).
    text.npy     [4, embed]  model.encode_text(pad_zero, normalize=False).
Padding is NOT inert in either family: the unpadded rows at their own lengths give different
embeddings (max difference {unpadded} of max |reference|, float64 forward),
and open_clip CLIPA cannot run them at all (CLIP.encode_text adds the full positional_embedding).

Tests require max |ours - reference| <= 1e-4 x max |reference| for every output. An
independent float64 re-implementation from the safetensors and reduced.json alone
(`numpy_image` / `numpy_text` in the script) agrees to {numpy_error:.0e} of max |reference|.
How far plausible misreadings move the references (max |variant - correct| / max |correct|,
both from the float64 forward pass; "-": not applicable, "0": below 1e-12):
{variants}
"""


def main():
    check_versions()
    torch.set_num_threads(1)
    default = Path(__file__).resolve().parent.parent / "Tests" / "CLIPModelsTests" / "Fixtures"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    results = [make_case(root, case) for case in CASES]
    numpy_error = max(max(r["image"], r["text"]) for r in results)
    lines = ["    " + "".join(f"{case['case']:>14}" for case in CASES)]
    for family in VARIANTS:
        for tower in ("image", "text"):
            for name, what in VARIANTS[family][tower].items():
                cells = []
                for case, r in zip(CASES, results):
                    value = r["variants"][f"{tower} {name}"] if case["family"] == family else None
                    cells.append(f"{'-':>14}" if value is None else
                                 f"{value:>14.1e}" if value > 1e-12 else f"{'0':>14}")
                lines.append(f"    {''.join(cells)}  {tower} {name}: {what}")
    out = root / "openclip-native"
    unpadded = f"{min(r['unpadded'] for r in results):.1e} to {max(r['unpadded'] for r in results):.1e}"
    (out / "README.md").write_text(README.format(**PINNED, numpy_error=max(numpy_error, 1e-8),
                                                 unpadded=unpadded, variants="\n".join(lines)))
    print("\n".join(lines))
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"fixtures written to {out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
