"""Procedural renderer and caption generator for the mini CLIP's synthetic world.

Every image is a pure function of (seed, index): `render_sample(seed, index)` builds its own
numpy Generator from that pair, so images can be rendered in any order, by any number of
processes, and come out bit-identical (Pillow 13.0.0, numpy 2.4.6).

The world: one or two shapes (circle, square, triangle, star, cross, heart, ring, diamond) in one
of ten named colors, with a size (small/medium/large), a position, a rotation, on a plain,
gradient or noise background. Captions are generated from the structured description, together
with the *claims* a caption makes, so training can tell which captions in a batch are true of
which images (see `consistency_matrix`).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SHAPES = ["circle", "square", "triangle", "star", "cross", "heart", "ring", "diamond"]
COLORS = ["red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "black", "gray"]
SIZES = ["small", "medium", "large"]

# Nominal sRGB of each color name; every rendering jitters around it.
COLOR_RGB = {
    "red": (215, 35, 35),
    "green": (40, 165, 60),
    "blue": (35, 85, 215),
    "yellow": (240, 215, 35),
    "orange": (245, 135, 20),
    "purple": (125, 45, 175),
    "pink": (245, 135, 195),
    "white": (245, 245, 245),
    "black": (22, 22, 22),
    "gray": (128, 128, 128),
}

# Color x shape pairs that never appear in training (in any image, single or pair) and that the
# held-out part of the test set consists of. Every color once, every shape at least once.
HELD_OUT_PAIRS = [
    ("red", "star"),
    ("green", "triangle"),
    ("blue", "heart"),
    ("yellow", "circle"),
    ("orange", "cross"),
    ("purple", "ring"),
    ("pink", "square"),
    ("white", "diamond"),
    ("black", "ring"),
    ("gray", "cross"),
]
HELD_OUT_SET = {(COLORS.index(c), SHAPES.index(s)) for c, s in HELD_OUT_PAIRS}

# Objects in an *unnamed* color: color index UNNAMED, an RGB drawn uniformly from the sRGB cube
# at Euclidean distance >= UNNAMED_MIN_DISTANCE from every nominal COLOR_RGB (jittered named
# colors stay within about 50 of their nominal value, so an unnamed color never looks like a named
# one). Their captions name only the shape ("a photo of a star"): they teach the image tower shape
# features that do not depend on color without ever rendering a held-out named color x shape pair.
UNNAMED = len(COLORS)
UNNAMED_MIN_DISTANCE = 100.0

SUPERSAMPLE = 4  # shape masks are drawn at 4x and box-averaged down (anti-aliasing)

# Seeds. Training data, the test set and the example images come from disjoint seeds.
TRAIN_SEED = 1
TEST_SEED = 900_001
EXAMPLE_SEED = 700_001


@dataclass
class Obj:
    color: int
    shape: int
    size: int  # index into SIZES
    radius: float  # in output pixels
    cx: float
    cy: float
    angle: float  # degrees
    rgb: tuple


@dataclass
class Sample:
    objects: list
    background: str  # "plain" | "gradient" | "noise"
    image: np.ndarray | None = None  # uint8 [H, W, 3]


def _rng(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, index]))


def _jitter_color(rng: np.random.Generator, name: str) -> tuple:
    base = np.array(COLOR_RGB[name], dtype=np.float64)
    if name in ("white", "black", "gray"):
        spread = {"white": 8, "black": 10, "gray": 14}[name]
        v = base + rng.uniform(-spread, spread) + rng.uniform(-4, 4, size=3)
    else:
        v = base * rng.uniform(0.88, 1.06) + rng.uniform(-14, 14, size=3)
    return tuple(int(x) for x in np.clip(np.round(v), 0, 255))


def _unnamed_rgb(rng: np.random.Generator) -> tuple:
    named = np.array(list(COLOR_RGB.values()), dtype=np.float64)
    while True:
        v = rng.uniform(0, 255, size=3)
        if np.linalg.norm(named - v, axis=1).min() >= UNNAMED_MIN_DISTANCE:
            return tuple(int(x) for x in np.round(v))


def _shape_mask(obj: Obj, size: int) -> Image.Image:
    """An 'L' mask at size*SUPERSAMPLE with the shape drawn in 255."""
    s = SUPERSAMPLE
    big = size * s
    mask = Image.new("L", (big, big), 0)
    d = ImageDraw.Draw(mask)
    cx, cy, r = obj.cx * s, obj.cy * s, obj.radius * s
    a = math.radians(obj.angle)
    name = SHAPES[obj.shape]

    def poly(points):
        ca, sa = math.cos(a), math.sin(a)
        d.polygon([(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in points], fill=255)

    if name == "circle":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    elif name == "ring":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
        ri = r * 0.55
        d.ellipse([cx - ri, cy - ri, cx + ri, cy + ri], fill=0)
    elif name == "square":
        h = r * 0.8
        poly([(-h, -h), (h, -h), (h, h), (-h, h)])
    elif name == "diamond":
        poly([(0, -r), (r * 0.6, 0), (0, r), (-r * 0.6, 0)])
    elif name == "triangle":
        poly([(r * math.cos(t), r * math.sin(t) + r * 0.12)
              for t in (-math.pi / 2, -math.pi / 2 + 2 * math.pi / 3, -math.pi / 2 + 4 * math.pi / 3)])
    elif name == "star":
        pts = []
        for k in range(10):
            t = -math.pi / 2 + k * math.pi / 5
            rr = r if k % 2 == 0 else r * 0.42
            pts.append((rr * math.cos(t), rr * math.sin(t) + r * 0.05))
        poly(pts)
    elif name == "cross":
        w = r * 0.34
        poly([(-w, -r), (w, -r), (w, -w), (r, -w), (r, w), (w, w), (w, r), (-w, r), (-w, w), (-r, w), (-r, -w), (-w, -w)])
    elif name == "heart":
        pts = []
        for k in range(48):
            t = 2 * math.pi * k / 48
            x = 16 * math.sin(t) ** 3
            y = -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t))
            pts.append((x / 17 * r, (y + 2) / 17 * r))
        poly(pts)
    return mask


def _background(rng: np.random.Generator, kind: str, size: int, avoid: list) -> np.ndarray:
    """A float [H, W, 3] background whose colors stay far from every object color in `avoid`."""

    def pick():
        for _ in range(200):
            c = rng.uniform(0, 255, size=3)
            g = c.mean()
            c = g + (c - g) * rng.uniform(0.2, 1.0)  # often muted
            if all(np.linalg.norm(c - np.array(o)) > 110 for o in avoid):
                return c
        return np.array([128.0, 128.0, 128.0]) if all(np.linalg.norm(np.array(o) - 128) > 110 for o in avoid) \
            else np.array([200.0, 230.0, 250.0])

    if kind == "plain":
        return np.broadcast_to(pick(), (size, size, 3)).astype(np.float64)
    if kind == "gradient":
        c0, c1 = pick(), pick()
        t = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:size, 0:size] / (size - 1) - 0.5
        w = np.clip(xx * math.cos(t) + yy * math.sin(t) + 0.5, 0, 1)[..., None]
        return c0 * (1 - w) + c1 * w
    c = pick()
    sigma = rng.uniform(8, 28)
    noise = rng.normal(0, sigma, size=(size, size, 3))
    if rng.random() < 0.5:  # some noise is blotchy rather than per-pixel
        img = Image.fromarray(np.clip(noise + 128, 0, 255).astype(np.uint8))
        noise = np.asarray(img.filter(ImageFilter.GaussianBlur(1.2)), dtype=np.float64) - 128
        noise *= 2.0
    return c + noise


def _position_words(obj: Obj, size: int):
    """(horizontal, vertical) words, or None where the position is not clearly one of them."""
    x, y = obj.cx / size, obj.cy / size
    h = "left" if x < 0.36 else "right" if x > 0.64 else ("center" if 0.44 <= x <= 0.56 else None)
    v = "top" if y < 0.36 else "bottom" if y > 0.64 else ("middle" if 0.44 <= y <= 0.56 else None)
    return h, v


POSITION_GRID = 8  # object centers are snapped to multiples of this many pixels (at 64x64; 0 = free):
# with the ViT's 8-pixel patches every shape then meets the patch grid at the same phase, which
# made a from-scratch ViT this small learn shapes markedly sooner
SIZE_RANGES = {0: (10.0, 13.0), 1: (14.0, 18.0), 2: (19.0, 24.0)}  # radius in pixels at 64x64


def sample_scene(rng: np.random.Generator, size: int, exclude_held_out: bool,
                 force_pair: tuple | None = None, two_objects: bool | None = None,
                 background: str | None = None, unnamed_probability: float = 0.0) -> Sample:
    """Draws a scene description (not yet rendered). A single object is drawn in an unnamed
    color (see UNNAMED) with probability `unnamed_probability` (no random draw when it is 0)."""
    scale = size / 64.0
    if two_objects is None:
        two_objects = rng.random() < 0.25
    n = 2 if two_objects else 1

    def draw_pair():
        while True:
            c, s = int(rng.integers(len(COLORS))), int(rng.integers(len(SHAPES)))
            if not (exclude_held_out and (c, s) in HELD_OUT_SET):
                return c, s

    objects = []
    for k in range(n):
        unnamed = False
        if force_pair is not None and k == 0:
            c, s = COLORS.index(force_pair[0]), SHAPES.index(force_pair[1])
        elif n == 1 and unnamed_probability > 0 and rng.random() < unnamed_probability:
            c, s, unnamed = UNNAMED, int(rng.integers(len(SHAPES))), True
        elif k == 1 and rng.random() < 0.2:  # "two green squares"
            c, s = objects[0].color, objects[0].shape
        else:
            c, s = draw_pair()
        size_idx = int(rng.integers(0, 2)) if n == 2 else int(rng.integers(0, 3))
        lo, hi = SIZE_RANGES[size_idx]
        r = rng.uniform(lo, hi) * scale * (0.75 if n == 2 else 1.0)  # two objects must fit side by side
        name = SHAPES[s]
        if name in ("triangle", "star"):
            angle = rng.uniform(-180, 180) if rng.random() < 0.5 else rng.uniform(-15, 15)
        elif name in ("circle", "ring"):
            angle = 0.0
        else:
            angle = rng.uniform(-22, 22)
        for _ in range(100):
            margin = r + 1.5 * scale
            cx, cy = rng.uniform(margin, size - margin, size=2)
            if POSITION_GRID:
                g = POSITION_GRID * scale
                cx, cy = (np.round(cx / g) * g, np.round(cy / g) * g)
                if min(cx, cy) < margin - g / 2 or max(cx, cy) > size - margin + g / 2:
                    continue
            if all(math.hypot(cx - o.cx, cy - o.cy) > r + o.radius + 3 * scale for o in objects):
                break
        else:
            # no room found: the point of a coarse grid farthest from the first object, with the
            # radius reduced until the two do not touch
            o = objects[0]
            step = (POSITION_GRID or 4) * scale
            margin = r + 1.5 * scale
            points = [(x, y) for x in np.arange(step, size, step) for y in np.arange(step, size, step)
                      if margin <= x <= size - margin and margin <= y <= size - margin] or [(size / 2, size / 2)]
            cx, cy = max(points, key=lambda p: math.hypot(p[0] - o.cx, p[1] - o.cy))
            r = max(4 * scale, min(r, math.hypot(cx - o.cx, cy - o.cy) - o.radius - 3 * scale))
            size_idx = 0
        rgb = _unnamed_rgb(rng) if unnamed else _jitter_color(rng, COLORS[c])
        objects.append(Obj(c, s, size_idx, r, float(cx), float(cy), float(angle), rgb))
    if background is None:
        background = ["plain", "gradient", "noise"][int(rng.choice(3, p=[0.35, 0.35, 0.30]))]
    return Sample(objects, background)


def render(rng: np.random.Generator, sample: Sample, size: int, jpeg: bool = False) -> np.ndarray:
    """Composites the objects over the background; each shape's coverage of a pixel (its mask
    drawn at SUPERSAMPLE x and box-averaged) is its alpha, so edges are anti-aliased."""
    out = _background(rng, sample.background, size, [o.rgb for o in sample.objects])
    for o in sample.objects:
        alpha = np.asarray(_shape_mask(o, size).resize((size, size), Image.BOX), dtype=np.float64)[..., None] / 255
        out = out * (1 - alpha) + np.array(o.rgb, dtype=np.float64) * alpha
    img = np.clip(np.round(out), 0, 255).astype(np.uint8)
    if jpeg:
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=int(rng.integers(70, 96)))
        img = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return img


def render_sample(seed: int, index: int, size: int = 64, exclude_held_out: bool = True,
                  jpeg_probability: float = 0.15, **scene_kwargs) -> Sample:
    rng = _rng(seed, index)
    sample = sample_scene(rng, size, exclude_held_out, **scene_kwargs)
    sample.image = render(rng, sample, size, jpeg=rng.random() < jpeg_probability)
    return sample


# ----------------------------------------------------------------------------------------------
# Captions and the claims they make

NO = -1
# A claim row: color, shape, size, horizontal, vertical (NO = not stated), per described object.
H_WORDS = ["left", "center", "right"]
V_WORDS = ["top", "middle", "bottom"]


def _article(word: str, rng) -> str:
    if rng.random() < 0.25:
        return "a"  # captions in the wild are not always grammatical (and test prompts say "a orange")
    return "an" if word[0] in "aeiou" else "a"


def _noun_phrase(rng, obj: Obj, size: int, use_color: bool, use_shape: bool, use_size: bool):
    words = []
    claim = [NO, NO, NO, NO, NO]
    if use_size:
        words.append(SIZES[obj.size])
        claim[2] = obj.size
    if use_color:
        words.append(COLORS[obj.color])
        claim[0] = obj.color
    if use_shape:
        words.append(SHAPES[obj.shape])
        claim[1] = obj.shape
    else:
        words.append(["shape", "object", "thing", "figure"][int(rng.integers(4))])
    return words, claim


SINGLE_TEMPLATES = [
    "{np}", "{np}", "a photo of {np}", "a photo of {np}", "a picture of {np}", "an image of {np}",
    "a drawing of {np}", "a rendering of {np}", "there is {np}", "this is {np}", "a close-up of {np}",
    "{np} on a {bg} background", "a photo of {np} on a {bg} background", "a simple image of {np}",
]


def caption(rng: np.random.Generator, sample: Sample, size: int, focus: str | None = None):
    """Returns (text, claims, count): claims is int16 [2, 5] (color, shape, size, horizontal,
    vertical per described object, NO where not stated; unused rows all NO) and count is the
    number of objects the caption describes. `focus` ("shape" or "color") forces a single-object
    caption to name only the shape or only the color; two-object captions ignore it."""
    objs = sample.objects
    claims = np.full((2, 5), NO, dtype=np.int16)
    bg_word = {"plain": ["plain", "solid", "flat"], "gradient": ["gradient", "graded"], "noise": ["noisy", "textured", "grainy"]}
    if len(objs) == 1:
        o = objs[0]
        mode = rng.random()
        if focus == "shape" or o.color == UNNAMED:  # an unnamed color is never named
            mode = 0.6
        elif focus == "color":
            mode = 0.9
        if mode < 0.55:  # color and shape
            uc, us = True, True
        elif mode < 0.78:
            uc, us = False, True
        else:
            uc, us = True, False
        usz = rng.random() < 0.3
        words, claim = _noun_phrase(rng, o, size, uc, us, usz)
        np_ = _article(words[0], rng) + " " + " ".join(words)
        if not us and uc and rng.random() < 0.3:
            np_ = "something " + COLORS[o.color]
        h, v = _position_words(o, size)
        if rng.random() < 0.3 and (h in ("left", "right") or v in ("top", "bottom")):
            if h in ("left", "right") and (v not in ("top", "bottom") or rng.random() < 0.5):
                np_ += f" on the {h}"
                claim[3] = H_WORDS.index(h)
            else:
                np_ += f" at the {v}"
                claim[4] = V_WORDS.index(v)
        elif rng.random() < 0.1 and h == "center" and v == "middle":
            np_ += " in the center"
            claim[3], claim[4] = 1, 1
        t = SINGLE_TEMPLATES[int(rng.integers(len(SINGLE_TEMPLATES)))]
        bg = bg_word[sample.background][int(rng.integers(len(bg_word[sample.background])))]
        text = t.format(np=np_, bg=bg) + _stop(rng)
        claims[0] = claim
        return text, claims, 1

    a, b = objs
    if a.color == b.color and a.shape == b.shape and rng.random() < 0.8:
        c, s = COLORS[a.color], SHAPES[a.shape]
        plural = s + ("es" if s.endswith("s") else "s")
        t = ["two {c} {p}", "a photo of two {c} {p}", "a pair of {c} {p}", "two {c} {p} on a background"][int(rng.integers(4))]
        claims[0] = [a.color, a.shape, NO, NO, NO]
        claims[1] = [a.color, a.shape, NO, NO, NO]
        return t.format(c=c, p=plural) + _stop(rng), claims, 2
    order = [a, b] if rng.random() < 0.5 else [b, a]
    phrases = []
    for k, o in enumerate(order):
        mode = rng.random()
        uc, us = (True, True) if mode < 0.8 else ((False, True) if mode < 0.9 else (True, False))
        words, claim = _noun_phrase(rng, o, size, uc, us, False)
        phrases.append(_article(words[0], rng) + " " + " ".join(words))
        claims[k] = claim
    x0, x1 = order[0].cx, order[1].cx
    y0, y1 = order[0].cy, order[1].cy
    rel = rng.random()
    if rel < 0.3 and abs(x0 - x1) > 0.25 * size:
        word = "to the left of" if x0 < x1 else "to the right of"
        # Encode the relation through horizontal claims on the two objects.
        claims[0, 3], claims[1, 3] = (0, 2) if x0 < x1 else (2, 0)
        text = f"{phrases[0]} {word} {phrases[1]}"
    elif rel < 0.45 and abs(y0 - y1) > 0.25 * size:
        word = "above" if y0 < y1 else "below"
        claims[0, 4], claims[1, 4] = (0, 2) if y0 < y1 else (2, 0)
        text = f"{phrases[0]} {word} {phrases[1]}"
    else:
        joiner = [" and ", " and ", " next to ", " with "][int(rng.integers(4))]
        text = phrases[0] + joiner + phrases[1]
        if rng.random() < 0.3:
            text = "a photo of " + text
    return text + _stop(rng), claims, 2


def _stop(rng) -> str:
    """Captions sometimes end with a full stop, as CLIP prompt templates do ("a photo of a {}.")."""
    return "." if rng.random() < 0.35 else ""


def object_table(sample: Sample, size: int) -> np.ndarray:
    """int16 [2, 6]: color, shape, size, x rank, y rank, present (x/y rank: 0 left/top of the
    pair, 2 right/bottom, for single objects their position word index or NO)."""
    t = np.full((2, 6), NO, dtype=np.int16)
    objs = sample.objects
    for k, o in enumerate(objs):
        t[k, 0], t[k, 1], t[k, 2], t[k, 5] = o.color, o.shape, o.size, 1
        if len(objs) == 1:
            h, v = _position_words(o, size)
            t[k, 3] = H_WORDS.index(h) if h else NO
            t[k, 4] = V_WORDS.index(v) if v else NO
    if len(objs) == 2:
        a, b = objs
        t[0, 3], t[1, 3] = ((0, 2) if a.cx < b.cx else (2, 0))
        t[0, 4], t[1, 4] = ((0, 2) if a.cy < b.cy else (2, 0))
    return t


def consistency_matrix(objects: np.ndarray, claims: np.ndarray, counts_img: np.ndarray,
                       counts_cap: np.ndarray) -> np.ndarray:
    """bool [B_images, B_captions]: caption j is true of image i.

    objects: int [B, 2, 6] from `object_table`; claims: int [B, 2, 5]; counts: objects in each
    image / objects each caption describes. A caption is true of an image when it describes as
    many objects as the image has and its descriptions can be matched one-to-one to the image's
    objects, every stated attribute agreeing.
    """
    o = objects[:, None, :, None, :5]  # [B, 1, 2(obj), 1, 5]
    c = claims[None, :, None, :, :]  # [1, B, 1, 2(desc), 5]
    m = ((c == NO) | (o == c)).all(-1)  # [B, B, obj, desc]
    one = m[:, :, 0, 0]
    two = (m[:, :, 0, 0] & m[:, :, 1, 1]) | (m[:, :, 0, 1] & m[:, :, 1, 0])
    same = counts_img[:, None] == counts_cap[None, :]
    return same & np.where(counts_img[:, None] == 1, one, two)
