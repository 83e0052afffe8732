"""Compose real-photo datasets in the real import layouts for bench/real_photos.py.

Sources are the photographs and scans scikit-image ships in its package data
folder (read with Pillow; nothing is downloaded). Every sample is a random
crop (random side, position and flip) resized to ``OUT`` x ``OUT`` pixels, so a
defect, a tampered patch or a logo keeps a known size in the saved image:

- ``write_mvtec``: crops of the brick, grass and gravel textures with a thin
  scratch, a small stain or a small crack painted in (0.5-3% of the image),
  MVTec-AD layout with ``ground_truth/<type>/<stem>_mask.png``.
- ``write_documents``: crops of page.png and text.png, genuine or with a
  copy-moved patch, a spliced stroke in another ink, or an erased and
  rewritten patch; class-folder layout ``genuine/`` and ``forged/``
  (``write_documents_mvtec``: the same crops in the MVTec-AD layout, with masks).
- ``write_yolo``: crops of scene photos with the scikit-image logo pasted
  small (10-30% of the side, slight rotation) in about half of them; YOLO
  layout ``images/``, ``labels/`` and ``classes.txt``.

Each writer takes a ``part`` ("train" or "test"): textures and scans are cut
into disjoint regions (train never sees the test pixels) and the scene photos
are split whole (the test photos are never seen in training).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

OUT = 128  # saved image side in pixels
TEXTURES = ("brick", "grass", "gravel")
DOCUMENTS = ("page", "text")
TRAIN_SCENES = ("astronaut", "hubble_deep_field", "motorcycle_left", "motorcycle_right", "horse", "retina",
                "camera", "color")
TEST_SCENES = ("chelsea", "coffee", "rocket")
DEFECT_TYPES = ("scratch", "stain", "crack")
TAMPER_TYPES = ("copy_move", "spliced_stroke", "erase_rewrite")
DEFECT_AREA = (0.005, 0.03)  # share of the image a defect mask covers


def data_dir() -> Path:
    """scikit-image's package data folder (the real photos)."""
    import skimage

    return Path(os.path.dirname(skimage.__file__)) / "data"


def read_source(name: str) -> Image.Image:
    """A scikit-image data file by stem (png or jpg), as a Pillow image."""
    for ext in (".png", ".jpg"):
        path = data_dir() / f"{name}{ext}"
        if path.exists():
            return Image.open(path)
    raise FileNotFoundError(f"{data_dir()}: no {name}.png or {name}.jpg")


def region(size: tuple[int, int], part: str, axis: str, train_share: float) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the train or test part of an image cut across ``axis`` ("x" or "y")."""
    width, height = size
    if axis == "y":
        cut = int(height * train_share)
        return (0, 0, width, cut) if part == "train" else (0, cut, width, height)
    cut = int(width * train_share)
    return (0, 0, cut, height) if part == "train" else (cut, 0, width, height)


def random_crop(image: Image.Image, box: tuple[int, int, int, int], rng: np.random.Generator,
                sides: tuple[int, int] = (96, 160), hflip: bool = True, vflip: bool = False) -> Image.Image:
    """A random square crop of ``box`` (side in ``sides``, capped by the box), flipped at random, OUT x OUT."""
    x0, y0, x1, y1 = box
    largest = min(sides[1], x1 - x0, y1 - y0)
    side = int(rng.integers(min(sides[0], largest), largest + 1))
    left = int(rng.integers(x0, x1 - side + 1))
    top = int(rng.integers(y0, y1 - side + 1))
    crop = image.crop((left, top, left + side, top + side)).resize((OUT, OUT), Image.Resampling.BILINEAR)
    if hflip and rng.random() < 0.5:
        crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if vflip and rng.random() < 0.5:
        crop = crop.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    return crop


# ---- manufacturing defects ---------------------------------------------------
def _stroke_alpha(points: list[tuple[float, float]], width: int, blur: float) -> np.ndarray:
    layer = Image.new("L", (OUT, OUT), 0)
    ImageDraw.Draw(layer).line(points, fill=255, width=width, joint="curve")
    return np.asarray(layer.filter(ImageFilter.GaussianBlur(blur)), np.float32) / 255.0


def _defect_alpha(kind: str, rng: np.random.Generator) -> np.ndarray:
    """(OUT, OUT) float alpha in [0, 1] of one defect shape."""
    x, y = rng.uniform(16, OUT - 16, size=2)
    angle = rng.uniform(0, 2 * math.pi)
    if kind == "scratch":  # a thin, slightly bent straight line
        length, bend = rng.uniform(25, 55), rng.uniform(-0.25, 0.25)
        points = []
        for t in np.linspace(-0.5, 0.5, 6):
            a = angle + bend * t
            points.append((x + t * length * math.cos(a), y + t * length * math.sin(a)))
        return _stroke_alpha(points, int(rng.integers(2, 4)), 0.6)
    if kind == "crack":  # a jagged random walk, one or two pixels wide
        points = [(x, y)]
        for _ in range(int(rng.integers(12, 24))):
            angle += rng.uniform(-0.7, 0.7)
            x, y = x + 3 * math.cos(angle), y + 3 * math.sin(angle)
            points.append((x, y))
        return _stroke_alpha(points, int(rng.integers(2, 3)), 0.5)
    # a stain: a soft ellipse
    rx, ry = rng.uniform(4, 10, size=2)
    layer = Image.new("L", (OUT, OUT), 0)
    ImageDraw.Draw(layer).ellipse((x - rx, y - ry, x + rx, y + ry), fill=255)
    return np.asarray(layer.filter(ImageFilter.GaussianBlur(1.5)), np.float32) / 255.0


def paint_defect(gray: np.ndarray, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``gray`` (OUT, OUT) uint8 with one ``kind`` defect painted in, and its (OUT, OUT) uint8 0/1 mask."""
    for _ in range(20):  # redraw until the mask covers DEFECT_AREA of the image
        alpha = _defect_alpha(kind, rng)
        mask = (alpha > 0.35).astype(np.uint8)
        if DEFECT_AREA[0] <= mask.mean() <= DEFECT_AREA[1]:
            break
    image = gray.astype(np.float32)
    local = float(image[mask > 0].mean()) if mask.any() else float(image.mean())
    if kind == "scratch":  # bright or dark, against the local brightness
        target = min(255.0, local + 90) if rng.random() < 0.6 else max(0.0, local - 90)
        strength = rng.uniform(0.7, 0.95)
    elif kind == "crack":
        target, strength = local * 0.2, rng.uniform(0.75, 0.95)
    else:
        target, strength = local * rng.choice([0.45, 1.6]), rng.uniform(0.6, 0.85)
    painted = image * (1 - strength * alpha) + min(255.0, target) * strength * alpha
    return np.clip(painted, 0, 255).astype(np.uint8), mask


def write_mvtec(root: Path, count: int, part: str, seed: int, defect_rate: float = 0.3) -> dict[str, int]:
    """An MVTec-AD category folder of ``count`` texture crops; returns images per test/ folder."""
    rng = np.random.default_rng(seed)
    sources = {name: read_source(name).convert("L") for name in TEXTURES}
    counts: dict[str, int] = {}
    for index in range(count):
        name = TEXTURES[index % len(TEXTURES)]
        source = sources[name]
        crop = np.asarray(random_crop(source, region(source.size, part, "y", 0.625), rng, vflip=True))
        stem = f"{name}_{index:04d}"
        if rng.random() < defect_rate:
            kind = DEFECT_TYPES[int(rng.integers(len(DEFECT_TYPES)))]
            crop, mask = paint_defect(crop, kind, rng)
            _save(Image.fromarray(mask * 255), root / "ground_truth" / kind / f"{stem}_mask.png")
            folder = root / "test" / kind
        else:
            folder = root / ("train" if rng.random() < 0.6 else "test") / "good"
            kind = folder.parent.name + "/good"
        _save(Image.fromarray(crop), folder / f"{stem}.png")
        counts[kind] = counts.get(kind, 0) + 1
    return counts


# ---- document tampering --------------------------------------------------------
def _inked_patch(gray: np.ndarray, side: int, rng: np.random.Generator) -> tuple[int, int]:
    """(y, x) of the ``side`` patch with the most ink among a few random candidates."""
    best, best_ink = (0, 0), -1.0
    threshold = np.percentile(gray, 20)
    for _ in range(10):
        y, x = rng.integers(2, OUT - side - 2, size=2)
        ink = float((gray[y : y + side, x : x + side] <= threshold).mean())
        if ink > best_ink:
            best, best_ink = (int(y), int(x)), ink
    return best


def _glyph_strokes(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], ink, rng, strokes: int) -> None:
    x0, y0, x1, y1 = box
    for _ in range(strokes):
        points = [(float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))) for _ in range(int(rng.integers(2, 4)))]
        draw.line(points, fill=ink, width=int(rng.integers(1, 3)))


def tamper_document(rgb: np.ndarray, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``rgb`` (OUT, OUT, 3) uint8 with one small ``kind`` tampering, and its (OUT, OUT) uint8 0/1 mask."""
    gray = rgb.mean(axis=2)
    out = rgb.copy()
    mask = np.zeros((OUT, OUT), np.uint8)
    if kind == "copy_move":  # an inked patch copied elsewhere in the same crop
        side = int(rng.integers(14, 26))
        sy, sx = _inked_patch(gray, side, rng)
        for _ in range(20):
            dy, dx = (int(v) for v in rng.integers(2, OUT - side - 2, size=2))
            if abs(dy - sy) >= side or abs(dx - sx) >= side:
                break
        out[dy : dy + side, dx : dx + side] = rgb[sy : sy + side, sx : sx + side]
        mask[dy : dy + side, dx : dx + side] = 1
        return out, mask
    image = Image.fromarray(out)
    draw = ImageDraw.Draw(image)
    layer = Image.new("L", (OUT, OUT), 0)
    layer_draw = ImageDraw.Draw(layer)
    if kind == "spliced_stroke":  # a short stroke in a slightly different ink
        base = int(rng.integers(20, 70))
        tint = [base, base, base]
        tint[int(rng.integers(3))] += int(rng.integers(25, 55))
        y, x = (float(v) for v in rng.uniform(20, OUT - 20, size=2))
        box = (int(x - 10), int(y - 7), int(x + 10), int(y + 7))
        state = rng.bit_generator.state
        _glyph_strokes(draw, box, tuple(tint), rng, 2)
        rng.bit_generator.state = state  # the same strokes again, on the mask layer
        _glyph_strokes(layer_draw, box, 255, rng, 2)
        mask = (np.asarray(layer.filter(ImageFilter.MaxFilter(3))) > 0).astype(np.uint8)
        return np.asarray(image).copy(), mask
    # erase_rewrite: a patch wiped to the paper colour, then new glyphs in the page's own ink
    h, w = int(rng.integers(10, 18)), int(rng.integers(16, 30))
    y, x = _inked_patch(gray, max(h, w), rng)
    paper = np.percentile(rgb[y : y + h, x : x + w].reshape(-1, 3), 90, axis=0)
    ink = tuple(int(v) for v in np.percentile(rgb.reshape(-1, 3), 3, axis=0))
    noise = rng.normal(0, 3, size=(h, w, 1))
    out[y : y + h, x : x + w] = np.clip(paper + noise, 0, 255).astype(np.uint8)
    image = Image.fromarray(out)
    _glyph_strokes(ImageDraw.Draw(image), (x + 2, y + 2, x + w - 2, y + h - 2), ink, rng, int(rng.integers(2, 5)))
    mask[y : y + h, x : x + w] = 1
    return np.asarray(image).copy(), mask


def document_samples(count: int, part: str, seed: int, forged_rate: float = 0.5):
    """Yield ``count`` (stem, kind, (OUT, OUT, 3) uint8 crop, (OUT, OUT) uint8 mask) scan crops, about
    ``forged_rate`` of them tampered; kind is "genuine" or one of TAMPER_TYPES."""
    rng = np.random.default_rng(seed)
    sources = {name: read_source(name).convert("RGB") for name in DOCUMENTS}
    for index in range(count):
        name = DOCUMENTS[index % len(DOCUMENTS)]
        source = sources[name]
        crop = np.asarray(random_crop(source, region(source.size, part, "x", 0.65), rng, hflip=False))
        kind, mask = "genuine", np.zeros((OUT, OUT), np.uint8)
        if rng.random() < forged_rate:
            kind = TAMPER_TYPES[int(rng.integers(len(TAMPER_TYPES)))]
            crop, mask = tamper_document(crop, kind, rng)
        yield f"{name}_{kind}_{index:04d}", kind, crop, mask


def write_documents(root: Path, count: int, part: str, seed: int, forged_rate: float = 0.5) -> dict[str, int]:
    """A class-folder dataset (genuine/, forged/) of ``count`` scan crops; returns images per kind."""
    counts: dict[str, int] = {}
    for stem, kind, crop, _mask in document_samples(count, part, seed, forged_rate):
        folder = "genuine" if kind == "genuine" else "forged"
        _save(Image.fromarray(crop), root / folder / f"{stem}.png")
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def write_documents_mvtec(root: Path, count: int, part: str, seed: int, forged_rate: float = 0.5) -> dict[str, int]:
    """The same scan crops as ``write_documents`` in the MVTec-AD layout, with tampering masks."""
    rng = np.random.default_rng(seed + 7)  # only for the train/good vs test/good choice
    counts: dict[str, int] = {}
    for stem, kind, crop, mask in document_samples(count, part, seed, forged_rate):
        if kind == "genuine":
            folder = root / ("train" if rng.random() < 0.6 else "test") / "good"
            kind = folder.parent.name + "/good"
        else:
            _save(Image.fromarray(mask * 255), root / "ground_truth" / kind / f"{stem}_mask.png")
            folder = root / "test" / kind
        _save(Image.fromarray(crop), folder / f"{stem}.png")
        counts[kind] = counts.get(kind, 0) + 1
    return counts


# ---- logos --------------------------------------------------------------------
def load_logo() -> Image.Image:
    """logo.png as RGBA (a luminance mask stands in for a missing alpha channel)."""
    logo = read_source("logo")
    if logo.mode != "RGBA":
        rgb = logo.convert("RGB")
        alpha = Image.fromarray(((np.asarray(rgb.convert("L")) < 240) * 255).astype(np.uint8))
        logo = rgb.copy()
        logo.putalpha(alpha)
    logo = logo.crop(logo.getbbox())
    logo.thumbnail((96, 96), Image.Resampling.LANCZOS)  # pasted at most 0.3 * OUT, so this loses nothing
    return logo


def paste_logo(scene: Image.Image, logo: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, tuple]:
    """``scene`` (OUT x OUT RGB) with ``logo`` pasted small; the box (x0, y0, x1, y1) of its visible pixels."""
    side = int(round(OUT * rng.uniform(0.10, 0.30)))
    small = logo.resize((side, side), Image.Resampling.LANCZOS)
    small = small.rotate(float(rng.uniform(-15, 15)), resample=Image.Resampling.BICUBIC, expand=True)
    x = int(rng.integers(0, OUT - small.width + 1))
    y = int(rng.integers(0, OUT - small.height + 1))
    layer = Image.new("RGBA", (OUT, OUT), (0, 0, 0, 0))
    layer.paste(small, (x, y))
    alpha = np.asarray(layer.getchannel("A")) > 64
    ys, xs = np.nonzero(alpha)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    return Image.alpha_composite(scene.convert("RGBA"), layer).convert("RGB"), box


def write_yolo(root: Path, count: int, part: str, seed: int, logo_rate: float = 0.5) -> dict[str, int]:
    """A YOLO folder of ``count`` scene crops, a logo in about ``logo_rate`` of them; returns images per kind."""
    rng = np.random.default_rng(seed)
    names = TRAIN_SCENES if part == "train" else TEST_SCENES
    sources = {name: read_source(name).convert("RGB") for name in names}
    logo = load_logo()
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("logo\n")
    counts: dict[str, int] = {}
    for index in range(count):
        name = names[index % len(names)]
        source = sources[name]
        crop = random_crop(source, (0, 0, *source.size), rng)
        stem = f"{name}_{index:04d}"
        line = ""
        if rng.random() < logo_rate:
            crop, (x0, y0, x1, y1) = paste_logo(crop, logo, rng)
            cx, cy, w, h = (x0 + x1) / 2 / OUT, (y0 + y1) / 2 / OUT, (x1 - x0) / OUT, (y1 - y0) / OUT
            line = f"0 {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n"
        _save(crop, root / "images" / f"{stem}.png")
        (root / "labels" / f"{stem}.txt").write_text(line)
        counts["logo" if line else "no_logo"] = counts.get("logo" if line else "no_logo", 0) + 1
    return counts


def _save(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, compress_level=1)  # fast: zlib level 6 dominated composing time
