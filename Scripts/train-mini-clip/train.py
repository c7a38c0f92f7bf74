"""Trains the mini CLIP (a transformers CLIPModel) on rendered shapes with a contrastive loss.

    python Scripts/train-mini-clip/train.py --work-dir /tmp/mini-clip-work

Writes <work-dir>/checkpoint.pt (float32 state dict + config + training record). Nothing here is
committed except via export.py. Seeded: the same versions (common.PINNED) on the same kind of
CPU give the same model; the thread count is fixed at 2.

Recipe: a pool of pre-rendered images (seed render.TRAIN_SEED, held-out color x shape pairs
excluded) is reused for a few epochs with fresh captions each epoch. The loss is CLIP's symmetric
cross-entropy over image-caption similarities, except that a caption that is also true of
another image in the batch ("a photo of a star" for two star images) counts as a positive for it
too: targets are spread uniformly over the true captions / images instead of only the diagonal.
An auxiliary term (--aux-weight) classifies the normalized image embeddings of single-object
images into shape and color with two linear heads that exist only during training; without it
this small from-scratch ViT had not separated shapes from colors after 2,600 steps.
A share of the single-object images (--unnamed-probability) shows the object in an unnamed color
(see render.UNNAMED) with shape-only captions, which teaches shape independently of color.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import pickle
import time

# On a busy machine, OpenMP threads that spin while waiting for each other waste most of the
# CPU they get; passive waiting made a training step several times faster on 2 shared cores.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

import render as R
from common import IMAGE_SIZE, Tokenizer, check_versions, features, model_config, normalize_pixels, prompt_lists

VAL_SEED = 800_001  # monitoring only; the test set has its own seed (render.TEST_SEED)
CAPTION_SEED = 500_000  # captions of epoch e use seed CAPTION_SEED + e
SHUFFLE_SEED = 12345
INIT_SEED = 0
# Each image comes with three captions per step: a free one, one naming only the shape and one
# naming only the color (two-object images get three free ones). The text tower is cheap next to
# the vision tower, so this triples the supervision per image for little extra time.
CAPTION_FOCUS = [None, "shape", "color"]


UNNAMED_PROBABILITY = 0.7  # set from --unnamed-probability before the pool is rendered


def _render_one(i):
    s = R.render_sample(R.TRAIN_SEED, i, IMAGE_SIZE, unnamed_probability=UNNAMED_PROBABILITY)
    img = s.image
    s.image = None
    return img, s


def render_pool(n: int, processes: int):
    images = np.empty((n, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    samples = [None] * n
    with mp.get_context("fork").Pool(processes) as pool:
        for i, (img, s) in enumerate(pool.imap(_render_one, range(n), chunksize=256)):
            images[i] = img
            samples[i] = s
    return images, samples


def validation_set(n_per_pair: int = 12, n_seen: int = 120):
    """Single-object images from VAL_SEED: every held-out pair n_per_pair times, plus seen pairs."""
    imgs, colors, shapes, held = [], [], [], []
    k = 0
    for c, s in R.HELD_OUT_PAIRS:
        for _ in range(n_per_pair):
            smp = R.render_sample(VAL_SEED, k, IMAGE_SIZE, exclude_held_out=False, force_pair=(c, s), two_objects=False)
            k += 1
            imgs.append(smp.image); colors.append(R.COLORS.index(c)); shapes.append(R.SHAPES.index(s)); held.append(True)
    for _ in range(n_seen):
        smp = R.render_sample(VAL_SEED, k, IMAGE_SIZE, exclude_held_out=True, two_objects=False)
        k += 1
        o = smp.objects[0]
        imgs.append(smp.image); colors.append(o.color); shapes.append(o.shape); held.append(False)
    return np.stack(imgs), np.array(colors), np.array(shapes), np.array(held)


def zero_shot(model, tok, images):
    import torch
    import torch.nn.functional as F

    color_prompts, shape_prompts = prompt_lists()
    with torch.no_grad():
        img = F.normalize(features(model.get_image_features(pixel_values=normalize_pixels(images))), dim=-1)
        tc = F.normalize(features(model.get_text_features(input_ids=tok.batch(color_prompts))), dim=-1)
        ts = F.normalize(features(model.get_text_features(input_ids=tok.batch(shape_prompts))), dim=-1)
    return (img @ tc.T).argmax(-1).numpy(), (img @ ts.T).argmax(-1).numpy()


def init_vision(model, images):
    """Two data-independent-of-labels initializations that make the small ViT learn shapes much
    sooner from scratch: 2-D sine-cosine position embeddings (the class position stays zero) and
    a patch embedding that whitens image patches (PCA of 8x8 patches from the given training
    images, scaled to unit variance per component). Both remain trainable."""
    import torch

    emb = model.vision_model.embeddings
    d = emb.position_embedding.weight.shape[1]
    p = model.config.vision_config.patch_size
    g = IMAGE_SIZE // p
    with torch.no_grad():
        y, x = torch.meshgrid(torch.arange(g), torch.arange(g), indexing="ij")
        y, x = y.flatten().float()[:, None], x.flatten().float()[:, None]
        omega = 1.0 / (10000 ** (torch.arange(d // 4).float() / (d // 4)))[None, :]
        pe = torch.zeros(g * g + 1, d)
        pe[1:] = torch.cat([torch.sin(x * omega), torch.cos(x * omega), torch.sin(y * omega), torch.cos(y * omega)], 1)
        emb.position_embedding.weight.copy_(pe)

        patches = normalize_pixels(images).unfold(2, p, p).unfold(3, p, p)  # [N, 3, g, g, p, p]
        patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, 3 * p * p).double()
        patches -= patches.mean(0)
        cov = patches.T @ patches / patches.shape[0]
        evals, evecs = torch.linalg.eigh(cov)  # ascending
        top = evecs[:, -d:].flip(1) / evals[-d:].flip(0).clamp_min(1e-6).sqrt()[None, :]
        emb.patch_embedding.weight.copy_(top.T.reshape(d, 3, p, p).float())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work-dir", default="/tmp/mini-clip-work")
    ap.add_argument("--pool-size", type=int, default=48_000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--steps", type=int, default=3800)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--aux-weight", type=float, default=0.5)
    ap.add_argument("--vision-layers", type=int, default=6, help="vision transformer depth")
    ap.add_argument("--unnamed-probability", type=float, default=0.4,
                    help="share of single-object training images drawn in an unnamed color, captioned by shape only")
    ap.add_argument("--aux-shape-on", choices=["all", "unnamed"], default="all",
                    help="which single-object images the auxiliary shape head classifies")
    args = ap.parse_args()
    global UNNAMED_PROBABILITY
    UNNAMED_PROBABILITY = args.unnamed_probability

    import torch
    import torch.nn.functional as F
    from transformers import CLIPModel

    found = check_versions()
    torch.set_num_threads(2)
    torch.manual_seed(INIT_SEED)
    np.random.seed(INIT_SEED)
    os.makedirs(args.work_dir, exist_ok=True)
    log = open(os.path.join(args.work_dir, "train.log"), "w")

    def say(msg):
        print(msg, flush=True)
        log.write(msg + "\n"); log.flush()

    t0, cpu0 = time.time(), time.process_time()
    cache = os.path.join(args.work_dir, f"pool-seed{R.TRAIN_SEED}-n{args.pool_size}-u{args.unnamed_probability}.pkl")
    cached = os.path.exists(cache)
    if cached:  # the pool is a pure function of (seed, n): a cache only saves time
        with open(cache, "rb") as f:
            images, samples = pickle.load(f)
    else:
        images, samples = render_pool(args.pool_size, processes=2)
        with open(cache, "wb") as f:
            pickle.dump((images, samples), f, protocol=pickle.HIGHEST_PROTOCOL)
    tables = np.stack([R.object_table(s, IMAGE_SIZE) for s in samples])
    counts = np.array([len(s.objects) for s in samples])
    pool_seconds = time.time() - t0
    val = validation_set()
    say(f"{'loaded' if cached else 'rendered'} {args.pool_size} training images + {len(val[0])} validation images "
        f"in {time.time() - t0:.1f}s")

    model = CLIPModel(model_config(vision_layers=args.vision_layers))
    init_vision(model, images[:2000])
    model.train()
    emb = model.text_model.embeddings.token_embedding
    emb.sparse = True  # only the rows of tokens in the batch get (sparse) gradients and updates
    aux_shape = torch.nn.Linear(model.config.projection_dim, len(R.SHAPES))
    aux_color = torch.nn.Linear(model.config.projection_dim, len(R.COLORS))
    decay, no_decay = list(aux_shape.parameters()) + list(aux_color.parameters()), []
    for name, p in model.named_parameters():
        if p is emb.weight:
            continue
        (decay if p.ndim >= 2 and "embedding" not in name else no_decay).append(p)
    opt = torch.optim.AdamW([
        {"params": decay, "weight_decay": args.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ], lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    opt_emb = torch.optim.SparseAdam([emb.weight], lr=args.lr, betas=(0.9, 0.98), eps=1e-6)

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        t = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))

    tok = Tokenizer()
    shuffle = np.random.default_rng(SHUFFLE_SEED)
    order, epoch, cursor = shuffle.permutation(args.pool_size), 0, 0
    history = []
    t_train, cpu_train = time.time(), time.process_time()
    for step in range(args.steps):
        if cursor + args.batch_size > args.pool_size:
            order, epoch, cursor = shuffle.permutation(args.pool_size), epoch + 1, 0
        idx = order[cursor: cursor + args.batch_size]
        cursor += args.batch_size
        caps, claims, ccount = [], [], []
        for focus in CAPTION_FOCUS:
            for i in idx:
                rng = R._rng(CAPTION_SEED + epoch, int(i) * len(CAPTION_FOCUS) + CAPTION_FOCUS.index(focus))
                text, cl, n = R.caption(rng, samples[i], IMAGE_SIZE, focus=focus)
                caps.append(text); claims.append(cl); ccount.append(n)
        truth = R.consistency_matrix(tables[idx], np.stack(claims), counts[idx], np.array(ccount))  # [B, 3B]
        target = torch.from_numpy(truth.astype(np.float32))

        for g in opt.param_groups + opt_emb.param_groups:
            g["lr"] = lr_at(step)
        img_raw = features(model.get_image_features(pixel_values=normalize_pixels(images[idx])))
        img = F.normalize(img_raw, dim=-1)
        txt = F.normalize(features(model.get_text_features(input_ids=tok.batch(caps))), dim=-1)
        scale = model.logit_scale.exp().clamp(max=100)
        logits = scale * img @ txt.T  # [images, captions]: every image has len(CAPTION_FOCUS) captions
        loss_i = -(F.log_softmax(logits, 1) * (target / target.sum(1, keepdim=True))).sum(1).mean()
        loss_t = -(F.log_softmax(logits.T, 1) * (target.T / target.T.sum(1, keepdim=True))).sum(1).mean()
        loss = (loss_i + loss_t) / 2
        if args.aux_weight > 0:
            # Auxiliary classification of the single-object images' embeddings (heads are
            # training-only and not exported): it makes the image tower separate shape from color
            # long before the contrastive signal alone does.
            single = torch.from_numpy(counts[idx] == 1)
            feats = F.normalize(img_raw[single], dim=-1)
            tab = torch.from_numpy(tables[idx][:, 0, :2].astype(np.int64))[single]
            named = tab[:, 0] != R.UNNAMED  # unnamed colors have no color class
            shaped = ~named if args.aux_shape_on == "unnamed" else torch.ones_like(named)
            aux = F.cross_entropy(aux_shape(feats[shaped]) * 10, tab[shaped, 1]) if shaped.any() else feats.sum() * 0
            if named.any():
                aux = aux + F.cross_entropy(aux_color(feats[named]) * 10, tab[named, 0])
            loss = loss + args.aux_weight * aux
        opt.zero_grad(set_to_none=True)
        opt_emb.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(decay + no_decay, 1.0)
        opt.step()
        opt_emb.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))

        if step % 20 == 0:
            say(f"step {step} epoch {epoch} loss {loss.item():.4f} scale {scale.item():.1f} lr {lr_at(step):.2e} "
                f"{time.time() - t_train:.0f}s")
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            model.eval()
            pc, ps = zero_shot(model, tok, val[0])
            model.train()
            h = val[3]
            rec = {
                "step": step + 1, "seconds": round(time.time() - t_train, 1),
                "cpu_seconds": round(time.process_time() - cpu_train, 1),
                "held_out_color": float((pc[h] == val[1][h]).mean()), "held_out_shape": float((ps[h] == val[2][h]).mean()),
                "seen_color": float((pc[~h] == val[1][~h]).mean()), "seen_shape": float((ps[~h] == val[2][~h]).mean()),
            }
            history.append(rec)
            say("val " + json.dumps(rec))
            torch.save({"state_dict": model.state_dict(), "step": step + 1}, os.path.join(args.work_dir, "partial.pt"))

    wall, cpu = time.time() - t0, time.process_time() - cpu0
    say(f"done: {args.steps} steps, training {time.time() - t_train:.0f}s wall / {time.process_time() - cpu_train:.0f}s "
        f"CPU, total wall {wall:.0f}s")
    emb.sparse = False
    record = {
        "args": vars(args), "versions": found, "wall_seconds": round(wall, 1),
        "train_seconds": round(time.time() - t_train, 1),
        "pool_seconds": round(pool_seconds, 1), "pool_from_cache": cached,
        "process_cpu_seconds": round(cpu, 1), "train_cpu_seconds": round(time.process_time() - cpu_train, 1),
        "validation": history,
        "seeds": {"train_images": R.TRAIN_SEED, "captions": f"{CAPTION_SEED} + epoch", "shuffle": SHUFFLE_SEED,
                  "init": INIT_SEED, "validation": VAL_SEED},
        "epochs_started": epoch + 1,
    }
    torch.save({"state_dict": model.state_dict(), "config": model.config.to_dict(), "record": record},
               os.path.join(args.work_dir, "checkpoint.pt"))
    with open(os.path.join(args.work_dir, "train_record.json"), "w") as f:
        json.dump(record, f, indent=2)


if __name__ == "__main__":
    main()
