"""Image folders laid out the way people have them, cut from the real photographs scikit-image ships.

Nothing here is a CNN Studio dataset: camera-style JPEG names (``IMG_0001.JPG``),
mixed image sizes, spaces and non-ASCII folder names, a nested sub-folder,
the MVTec-AD and YOLO layouts as their own tools write them.

    class_folder_tree(tmp_path / "Fotos Flaschen")     # chat/ café/ with JPEGs
    mvtec_category(tmp_path / "brick")                  # train/good, test/scratch, ground_truth/scratch
    yolo_folder(tmp_path / "logos")                     # images/, labels/, classes.txt
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def photo(name: str) -> Image.Image:
    """One of scikit-image's photographs (``chelsea``, ``coffee``, ``brick``...) as RGB."""
    import skimage

    folder = Path(os.path.dirname(skimage.__file__)) / "data"
    path = folder / f"{name}.png" if (folder / f"{name}.png").exists() else folder / f"{name}.jpg"
    return Image.open(path).convert("RGB")


def crops(source: Image.Image, count: int, side: int, rng: np.random.Generator,
          sizes: tuple[int, ...] = (96,)) -> list[Image.Image]:
    """``count`` random square crops of ``side`` source pixels, each saved at one of ``sizes``."""
    width, height = source.size
    out = []
    for index in range(count):
        x = int(rng.integers(0, width - side + 1))
        y = int(rng.integers(0, height - side + 1))
        size = sizes[index % len(sizes)]
        out.append(source.crop((x, y, x + side, y + side)).resize((size, size), Image.Resampling.BILINEAR))
    return out


def class_folder_tree(root: Path, per_class: int = 24, seed: int = 0) -> Path:
    """Two classes of camera JPEGs: ``chat/`` (the cat photo) and ``café/`` (the coffee photo).

    A few of the cat photos sit one folder down (``chat/2024 trip/``), as phone exports do.
    """
    rng = np.random.default_rng(seed)
    for class_name, source in (("chat", "chelsea"), ("café", "coffee")):
        for index, image in enumerate(crops(photo(source), per_class, 200, rng, sizes=(96, 80, 112))):
            folder = root / class_name / ("2024 trip" if class_name == "chat" and index % 6 == 5 else "")
            folder.mkdir(parents=True, exist_ok=True)
            image.save(folder / f"IMG_{index + 1:04d}.JPG", quality=90)
    return root


def own_photo(path: Path, source: str = "chelsea", side: int = 300) -> Path:
    """A single photo of the person's own, bigger than the training images (one crop of ``source``)."""
    image = photo(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.crop((60, 20, 60 + side, 20 + side)).save(path, quality=92)
    return path


def _scratch(image: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, Image.Image]:
    """``image`` with a dark scratch drawn across part of it, and its 0/255 mask."""
    size = image.size[0]
    x0, y0 = (int(v) for v in rng.integers(size // 8, size // 2, 2))
    x1, y1 = x0 + int(rng.integers(size // 4, size // 2)), y0 + int(rng.integers(-size // 8, size // 4))
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).line((x0, y0, x1, y1), fill=255, width=max(3, size // 24))
    dark = Image.new("RGB", image.size, (20, 15, 10))
    return Image.composite(dark, image, mask), mask


def mvtec_category(root: Path, good: int = 24, test_good: int = 6, scratched: int = 10, seed: int = 0) -> Path:
    """An MVTec-AD category of brick crops: train/good, test/good, test/scratch with masks in ground_truth/."""
    rng = np.random.default_rng(seed)
    images = crops(photo("brick"), good + test_good + scratched, 160, rng)
    for index in range(good):
        _save(images[index], root / "train" / "good" / f"{index:03d}.png")
    for index in range(test_good):
        _save(images[good + index], root / "test" / "good" / f"{index:03d}.png")
    for index in range(scratched):
        image, mask = _scratch(images[good + test_good + index], rng)
        _save(image, root / "test" / "scratch" / f"{index:03d}.png")
        _save(mask, root / "ground_truth" / "scratch" / f"{index:03d}_mask.png")
    return root


def _logo() -> Image.Image:
    """scikit-image's logo as RGBA, cropped to its ink."""
    logo = photo("logo")
    alpha = Image.fromarray(((np.asarray(logo.convert("L")) < 240) * 255).astype(np.uint8))
    logo.putalpha(alpha)
    return logo.crop(logo.getbbox())


def yolo_folder(root: Path, count: int = 40, seed: int = 0) -> Path:
    """A YOLO folder: scene photos with the logo pasted once in each, labels/*.txt and classes.txt."""
    rng = np.random.default_rng(seed)
    logo = _logo()
    scenes = crops(photo("astronaut"), count // 2, 300, rng) + crops(photo("coffee"), count - count // 2, 300, rng)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("logo\n", encoding="utf-8")
    for index, scene in enumerate(scenes):
        size = scene.size[0]
        side = int(rng.integers(size // 3, size // 2))
        small = logo.resize((side, side))
        x, y = (int(v) for v in rng.integers(0, size - side, 2))
        scene.paste(small, (x, y), small)
        cx, cy, w = (x + side / 2) / size, (y + side / 2) / size, side / size
        stem = f"frame_{index:04d}"
        _save(scene, root / "images" / f"{stem}.jpg")
        (root / "labels" / f"{stem}.txt").write_text(f"0 {cx:.6f} {cy:.6f} {w:.6f} {w:.6f}\n", encoding="utf-8")
    return root


def _save(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
