"""Synthetic "shapes world" for the bundled demo PE Core model (issue [4]).

Seeded, PyPI-only (numpy, pillow). Draws one to three shapes in named colours and sizes on
plain, gradient, striped or noisy backgrounds, at varied positions and canvas aspect ratios,
and writes a caption from varied templates ("a small red star on a striped background").

API
    rng = numpy.random.default_rng(seed)
    img, caption, truth = make_scene(rng)                  # training scene (no held-out combos)
    img, caption, truth = make_scene(rng, held_out="only", n_objects=1)   # unseen combos only

CLI (held-out test set: PNG at native canvas size + truth JSON)
    python synth.py testset OUT_DIR [--n 640] [--seed 12345] [--max-objects 1]
    python synth.py preview OUT.png [--seed 0]            # contact sheet of training scenes
    python synth.py examples OUT_DIR [--seed 7]           # the README's example images, named by truth

HELD_OUT below is the single place defining the shape-colour combinations that never appear in
training (neither in images nor captions); they measure zero-shot generalisation.
"""
from __future__ import annotations

import argparse
import json
import math
import os

import numpy as np
from PIL import Image, ImageDraw

# ----------------------------------------------------------------------------- vocabulary
SHAPES = ["circle", "square", "triangle", "star", "heart", "cross", "ring", "hexagon"]

# name -> base RGB (jittered when drawn)
COLOURS = {
    "red": (220, 30, 30),
    "orange": (245, 135, 20),
    "yellow": (240, 220, 30),
    "green": (40, 170, 50),
    "blue": (35, 75, 220),
    "purple": (135, 45, 175),
    "pink": (245, 125, 190),
    "white": (250, 250, 250),
}

SIZES = ["small", "medium", "large"]
# object radius as a fraction of min(canvas w, h)
SIZE_RANGES = {"small": (0.15, 0.19), "medium": (0.21, 0.26), "large": (0.28, 0.35)}

# canvas aspect ratio h / w
ASPECT_RANGE = (0.75, 4 / 3)

BACKGROUNDS = ["plain", "gradient", "striped", "noisy"]
# muted background base colours (kept apart from the object palette)
BG_TONES = {
    "grey": (128, 128, 128),
    "dark grey": (55, 55, 55),
    "black": (15, 15, 15),
    "beige": (205, 190, 160),
    "light grey": (195, 195, 195),
    "teal": (40, 110, 110),
    "brown": (110, 75, 45),
}

# The ONE definition of held-out (never trained) shape-colour combinations: a Latin-square
# diagonal, so every shape and every colour is still seen in training with other partners.
HELD_OUT = frozenset({
    ("red", "star"),
    ("orange", "ring"),
    ("yellow", "heart"),
    ("green", "hexagon"),
    ("blue", "triangle"),
    ("purple", "circle"),
    ("pink", "cross"),
    ("white", "square"),
})

ALL_COMBOS = [(c, s) for s in SHAPES for c in COLOURS]
SEEN_COMBOS = [cs for cs in ALL_COMBOS if cs not in HELD_OUT]
UNSEEN_COMBOS = [cs for cs in ALL_COMBOS if cs in HELD_OUT]

# zero-shot evaluation prompt (and the label text of each class)
EVAL_TEMPLATE = "a photo of a {colour} {shape}."


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def label_of(colour: str, shape: str) -> str:
    return f"{colour} {shape}"


# ----------------------------------------------------------------------------- geometry
def _regular_polygon(cx, cy, r, n, rot):
    return [(cx + r * math.cos(rot + 2 * math.pi * k / n), cy + r * math.sin(rot + 2 * math.pi * k / n))
            for k in range(n)]


def _star(cx, cy, r, rot, points=5, inner=0.45):
    pts = []
    for k in range(2 * points):
        rr = r if k % 2 == 0 else r * inner
        a = rot - math.pi / 2 + math.pi * k / points
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    return pts


def _heart(cx, cy, r, rot):
    pts = []
    for k in range(60):
        t = 2 * math.pi * k / 60
        x = 16 * math.sin(t) ** 3
        y = -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t))
        x, y = x / 17.0 * r, (y + 2.5) / 17.0 * r
        xr = x * math.cos(rot) - y * math.sin(rot)
        yr = x * math.sin(rot) + y * math.cos(rot)
        pts.append((cx + xr, cy + yr))
    return pts


def _cross(cx, cy, r, rot, arm=0.36):
    a = r * arm
    base = [(-a, -r), (a, -r), (a, -a), (r, -a), (r, a), (a, a), (a, r), (-a, r), (-a, a), (-r, a),
            (-r, -a), (-a, -a)]
    return [(cx + x * math.cos(rot) - y * math.sin(rot), cy + x * math.sin(rot) + y * math.cos(rot))
            for x, y in base]


def draw_shape(d: ImageDraw.ImageDraw, shape, cx, cy, r, rot, fill, bg_fill=None):
    if shape == "circle":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif shape == "ring":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=fill, width=max(2, int(round(r * 0.35))))
    elif shape == "square":
        d.polygon(_regular_polygon(cx, cy, r * 1.15, 4, rot + math.pi / 4), fill=fill)
    elif shape == "triangle":
        d.polygon(_regular_polygon(cx, cy + r * 0.15, r * 1.15, 3, rot - math.pi / 2), fill=fill)
    elif shape == "star":
        d.polygon(_star(cx, cy, r * 1.15, rot), fill=fill)
    elif shape == "heart":
        d.polygon(_heart(cx, cy, r * 1.05, rot), fill=fill)
    elif shape == "cross":
        d.polygon(_cross(cx, cy, r, rot), fill=fill)
    elif shape == "hexagon":
        d.polygon(_regular_polygon(cx, cy, r * 1.05, 6, rot), fill=fill)
    else:
        raise ValueError(shape)


# ----------------------------------------------------------------------------- backgrounds
def _jitter(rgb, rng, amount):
    return tuple(int(np.clip(v + rng.integers(-amount, amount + 1), 0, 255)) for v in rgb)


def make_background(rng, w, h, kind, tone_name):
    base = np.array(_jitter(BG_TONES[tone_name], rng, 12), dtype=np.float32)
    if kind == "plain":
        arr = np.broadcast_to(base, (h, w, 3)).copy()
    elif kind == "gradient":
        other = np.array(_jitter(BG_TONES[rng.choice(list(BG_TONES))], rng, 12), dtype=np.float32)
        ang = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = (xx / max(w - 1, 1) - 0.5) * math.cos(ang) + (yy / max(h - 1, 1) - 0.5) * math.sin(ang)
        t = (t - t.min()) / max(t.max() - t.min(), 1e-6)
        arr = base[None, None] * (1 - t[..., None]) + other[None, None] * t[..., None]
    elif kind == "striped":
        other = np.clip(base + rng.choice([-1, 1]) * rng.uniform(35, 60), 0, 255)
        period = rng.integers(6, 16)
        ang = rng.choice([0.0, math.pi / 2, math.pi / 4, -math.pi / 4])
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        p = xx * math.cos(ang) + yy * math.sin(ang)
        m = ((p // (period / 2)) % 2).astype(np.float32)[..., None]
        arr = base[None, None] * (1 - m) + other[None, None] * m
    elif kind == "noisy":
        sigma = rng.uniform(15, 35)
        arr = base[None, None] + rng.normal(0, sigma, size=(h, w, 3)).astype(np.float32)
    else:
        raise ValueError(kind)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


# ----------------------------------------------------------------------------- captions
def _position_phrase(cx, cy, w, h):
    col = "left" if cx < w / 3 else ("right" if cx > 2 * w / 3 else "")
    row = "top" if cy < h / 3 else ("bottom" if cy > 2 * h / 3 else "")
    if not col and not row:
        return "in the middle"
    if row and col:
        return f"in the {row} {col}"
    return f"on the {col}" if col else f"at the {row}"


def _obj_phrase(o, rng, with_size):
    words = ([o["size"]] if with_size else []) + [o["colour"], o["shape"]]
    return f"{article(words[0])} {' '.join(words)}"


def make_caption(rng, objs, bg_kind, bg_tone, w, h):
    bg_word = {"plain": bg_tone, "gradient": "gradient", "striped": "striped", "noisy": "noisy"}[bg_kind]
    if len(objs) == 1:
        o = objs[0]
        sz, c, s = o["size"], o["colour"], o["shape"]
        pos = _position_phrase(o["cx"], o["cy"], w, h)
        templates = [
            f"{article(sz)} {sz} {c} {s} on {article(bg_word)} {bg_word} background",
            f"a photo of {article(c)} {c} {s}.",
            f"{article(c)} {c} {s}",
            f"{article(c)} {c} {s} {pos}",
            f"{article(sz)} {sz} {c} {s} {pos}",
            f"a drawing of {article(c)} {c} {s} on {article(bg_word)} {bg_word} background.",
            f"{article(s)} {s} that is {c}",
            f"a {c} {s}, {sz}, {pos}.",
            f"there is {article(sz)} {sz} {c} {s} {pos} of the picture",
            f"{c} {s} on {bg_word}",
            f"a photo of {article(s)} {s}.",
            f"{article(sz)} {sz} {s} {pos}",
        ]
        return templates[rng.integers(len(templates))]
    with_size = bool(rng.integers(2))
    phrases = [_obj_phrase(o, rng, with_size) for o in objs]
    if len(phrases) == 2:
        body = f"{phrases[0]} and {phrases[1]}"
    else:
        body = f"{phrases[0]}, {phrases[1]} and {phrases[2]}"
    n = ["", "", "two", "three"][len(objs)]
    templates = [
        body,
        f"{body} on {article(bg_word)} {bg_word} background",
        f"a photo of {body}.",
        f"{n} shapes: {body}",
    ]
    return templates[rng.integers(len(templates))]


# ----------------------------------------------------------------------------- scenes
def _pick_combo(rng, held_out):
    if held_out == "exclude":
        pool = SEEN_COMBOS
    elif held_out == "only":
        pool = UNSEEN_COMBOS
    elif held_out == "any":
        pool = ALL_COMBOS
    else:
        raise ValueError(held_out)
    return pool[rng.integers(len(pool))]


def make_scene(rng: np.random.Generator, held_out: str = "exclude", n_objects: int | None = None,
               size_range=(72, 160)):
    """Return (PIL RGB image, caption, truth dict).

    held_out: "exclude" (training: never a HELD_OUT combo), "only" (every object a held-out combo),
    "any". n_objects: 1-3, or None for random (1: 70%, 2: 20%, 3: 10%). Canvas width and height are
    drawn from size_range and the aspect ratio h/w from ASPECT_RANGE (the model squashes every image
    to a square, so wider ranges deform the shapes themselves; 3:4 to 4:3 is what phone photos have).
    """
    w = int(rng.integers(size_range[0], size_range[1] + 1))
    h = max(8, int(round(w * rng.uniform(*ASPECT_RANGE))))
    if n_objects is None:
        n_objects = int(rng.choice([1, 2, 3], p=[0.7, 0.2, 0.1]))
    bg_kind = BACKGROUNDS[rng.integers(len(BACKGROUNDS))]
    bg_tone = list(BG_TONES)[rng.integers(len(BG_TONES))]
    img = make_background(rng, w, h, bg_kind, bg_tone)
    d = ImageDraw.Draw(img)
    m = min(w, h)
    objs = []
    used = set()
    for i in range(n_objects):
        for _ in range(50):
            colour, shape = _pick_combo(rng, held_out)
            if (colour, shape) not in used:
                break
        used.add((colour, shape))
        size = SIZES[rng.integers(len(SIZES))] if n_objects == 1 else SIZES[rng.integers(2)]
        r = rng.uniform(*SIZE_RANGES[size]) * m
        if n_objects > 1:
            r *= 0.8
        # place without heavy overlap
        for _ in range(60):
            cx = rng.uniform(r, w - r)
            cy = rng.uniform(r, h - r)
            if all(math.hypot(cx - o["cx"], cy - o["cy"]) > 1.1 * (r + o["r"]) for o in objs):
                break
        rot = rng.uniform(-0.35, 0.35)
        fill = _jitter(COLOURS[colour], rng, 18)
        draw_shape(d, shape, cx, cy, r, rot, fill)
        objs.append(dict(shape=shape, colour=colour, size=size, cx=float(cx), cy=float(cy), r=float(r)))
    caption = make_caption(rng, objs, bg_kind, bg_tone, w, h)
    truth = dict(
        width=w, height=h, background=bg_kind, background_tone=bg_tone,
        objects=[dict(shape=o["shape"], colour=o["colour"], size=o["size"],
                      center=[round(o["cx"], 1), round(o["cy"], 1)], radius=round(o["r"], 1),
                      held_out=(o["colour"], o["shape"]) in HELD_OUT) for o in objs],
        caption=caption,
    )
    if n_objects == 1:
        truth["label"] = label_of(objs[0]["colour"], objs[0]["shape"])
    return img, caption, truth


def caption_vocabulary() -> list[str]:
    """Every word that can occur in a caption or eval prompt (for the used-token set)."""
    words = set(SHAPES) | set(COLOURS) | set(SIZES) | set(BACKGROUNDS)
    for t in BG_TONES:
        words |= set(t.split())
    words |= set("a an on background photo of drawing that is there the picture in middle left right "
                 "top bottom at and two three shapes".split())
    return sorted(words) + [".", ",", ":", "a photo of a red star."]


# ----------------------------------------------------------------------------- CLI
def write_testset(out_dir, n, seed, max_objects=1, unseen_fraction=0.25):
    """Held-out test set: independent seed; single-object images by default, unseen_fraction of them
    drawn from HELD_OUT combos. PNGs at native canvas size + truth.json (list, one entry per image)."""
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(seed)
    entries = []
    for i in range(n):
        unseen = i < int(round(n * unseen_fraction))
        k = 1 if max_objects == 1 else int(rng.integers(1, max_objects + 1))
        img, cap, truth = make_scene(rng, held_out="only" if unseen else "exclude", n_objects=k)
        name = f"{i:04d}.png"
        img.save(os.path.join(out_dir, name))
        truth["file"] = name
        truth["split"] = "unseen" if unseen else "seen"
        entries.append(truth)
    meta = dict(
        generator="models/demo/synth.py", seed=seed, n=n,
        shapes=SHAPES, colours=list(COLOURS),
        held_out=sorted([list(x) for x in HELD_OUT]),
        eval_template=EVAL_TEMPLATE,
        labels=[label_of(c, s) for c, s in ALL_COMBOS],
        images=entries,
    )
    with open(os.path.join(out_dir, "truth.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


# The README's example images: six seen combinations and two held-out ones (red star, orange ring:
# held-out combinations the model recognises; per-combination held-out accuracy is in the model card).
EXAMPLES = [("yellow", "star"), ("blue", "circle"), ("green", "triangle"), ("white", "heart"),
            ("orange", "cross"), ("purple", "hexagon"), ("red", "star"), ("orange", "ring")]


def write_examples(out_dir, seed):
    """One PNG per EXAMPLES combination, named `<colour>-<shape>.png`, canvases 128-160 px."""
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(seed)
    for colour, shape in EXAMPLES:
        while True:  # draw single-object scenes until one has this combination (seeded, so fixed)
            held = "only" if (colour, shape) in HELD_OUT else "exclude"
            img, _, truth = make_scene(rng, held_out=held, n_objects=1, size_range=(128, 160))
            if truth["label"] == label_of(colour, shape):
                break
        img.save(os.path.join(out_dir, f"{colour}-{shape}.png"))
    return [f"{c}-{s}.png" for c, s in EXAMPLES]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("testset")
    t.add_argument("out_dir")
    t.add_argument("--n", type=int, default=640)
    t.add_argument("--seed", type=int, default=12345)
    t.add_argument("--max-objects", type=int, default=1)
    t.add_argument("--unseen-fraction", type=float, default=0.25)
    p = sub.add_parser("preview")
    p.add_argument("out_png")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n", type=int, default=24)
    e = sub.add_parser("examples")
    e.add_argument("out_dir")
    e.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    if a.cmd == "testset":
        meta = write_testset(a.out_dir, a.n, a.seed, a.max_objects, a.unseen_fraction)
        ns = sum(e["split"] == "seen" for e in meta["images"])
        print(f"wrote {a.n} images ({ns} seen, {a.n - ns} unseen) + truth.json to {a.out_dir}")
    elif a.cmd == "examples":
        print("wrote", ", ".join(write_examples(a.out_dir, a.seed)), "to", a.out_dir)
    else:
        rng = np.random.default_rng(a.seed)
        cols, cell = 6, 160
        rows = (a.n + cols - 1) // cols
        sheet = Image.new("RGB", (cols * cell, rows * (cell + 30)), (255, 255, 255))
        d = ImageDraw.Draw(sheet)
        for i in range(a.n):
            img, cap, _ = make_scene(rng)
            x, y = (i % cols) * cell, (i // cols) * (cell + 30)
            sheet.paste(img, (x, y))
            d.text((x + 2, y + cell + 2), cap[:26], fill=(0, 0, 0))
            d.text((x + 2, y + cell + 14), cap[26:52], fill=(0, 0, 0))
        sheet.save(a.out_png)
        print("wrote", a.out_png)


if __name__ == "__main__":
    main()
