"""Small MVTec-AD and YOLO folders written with Pillow, with painted defects and objects at known places."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image

from cnnstudio.plugin_api import private_module

REPO = Path(__file__).resolve().parents[2]
RED = (230, 20, 20)
BLUE = (20, 40, 230)


def plugin_helper(name: str) -> ModuleType:
    """A private plugin helper (plugins/_*.py), the very module the plugins themselves load."""
    return private_module(str(REPO / "plugins" / "class_folders.py"), name)


def background(width: int, height: int, seed: int) -> np.ndarray:
    """(height, width, 3) uint8 grey texture."""
    return np.random.default_rng(seed).integers(100, 140, (height, width, 3), dtype=np.uint8)


def save(path: Path, pixels: np.ndarray, fmt: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, format=fmt)
    return path


def truncated_png(path: Path, seed: int = 0) -> Path:
    """A PNG cut off half way: the header reads, the pixels do not."""
    save(path, background(40, 40, seed))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def text_named_png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("this is not an image\n")
    return path


def defect_image(path: Path, width: int, height: int, box: tuple[int, int, int, int], color, seed: int,
                 mask_path: Path | None = None, mask_size: tuple[int, int] | None = None) -> None:
    """An image with a painted ``box`` (x0, y0, x1, y1) and, optionally, its 0/255 mask."""
    pixels = background(width, height, seed)
    x0, y0, x1, y1 = box
    pixels[y0:y1, x0:x1] = color
    save(path, pixels)
    if mask_path is not None:
        mask_w, mask_h = mask_size or (width, height)
        mask = np.zeros((mask_h, mask_w), np.uint8)
        mask[y0:y1, x0:x1] = 255
        save(mask_path, mask)


# (defect type, name, width, height, painted box)
MVTEC_DEFECTS = [
    ("scratch", "000", 80, 60, (10, 20, 30, 44)),
    ("scratch", "001", 48, 72, (20, 40, 40, 64)),
    ("scratch", "002", 64, 64, (40, 8, 60, 24)),
    ("crack", "000", 56, 40, (6, 6, 26, 30)),
    ("crack", "001", 70, 50, (44, 10, 66, 40)),
]


def make_mvtec(root: Path, ground_truth: bool = True) -> Path:
    """A category with 5 train/good, 2 test/good and 5 painted defect images (red scratches, blue cracks)."""
    sizes = [(64, 64), (72, 48), (40, 56), (80, 60), (32, 32), (50, 70), (60, 44)]
    for i, (width, height) in enumerate(sizes):
        folder = "train/good" if i < 5 else "test/good"
        save(root / folder / f"{i:03d}.png", background(width, height, seed=i))
    for number, (kind, name, width, height, box) in enumerate(MVTEC_DEFECTS):
        mask = root / "ground_truth" / kind / f"{name}_mask.png" if ground_truth else None
        defect_image(root / "test" / kind / f"{name}.png", width, height, box,
                     RED if kind == "scratch" else BLUE, seed=100 + number, mask_path=mask)
    return root


# (relative image path, width, height, boxes as (class, x0, y0, x1, y1) pixels)
YOLO_IMAGES = [
    ("train/a.png", 80, 60, [(0, 10, 12, 40, 36)]),
    ("train/b.jpg", 48, 72, [(1, 8, 30, 40, 64)]),
    ("train/c.png", 64, 64, [(2, 4, 4, 20, 20), (0, 30, 28, 62, 60)]),
    ("train/d.png", 56, 40, []),
    ("val/e.png", 70, 50, [(1, 40, 6, 66, 30)]),
    ("val/f.png", 60, 60, []),
    ("g.png", 36, 64, [(2, 6, 20, 30, 44)]),
]
YOLO_NAMES = ["cat", "dog", "bird"]


def yolo_line(class_id: int, box, width: int, height: int) -> str:
    x0, y0, x1, y1 = box
    return f"{class_id} {(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} {(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}"


def make_yolo(root: Path, names: bool = True) -> Path:
    """Seven images (two without boxes: one empty label file, one without a file) with painted red boxes."""
    for number, (relative, width, height, boxes) in enumerate(YOLO_IMAGES):
        pixels = background(width, height, seed=200 + number)
        for _, x0, y0, x1, y1 in boxes:
            pixels[y0:y1, x0:x1] = RED
        save(root / "images" / relative, pixels, fmt="JPEG" if relative.endswith(".jpg") else None)
        label = root / "labels" / Path(relative).with_suffix(".txt")
        if relative == "val/f.png":
            continue  # no label file at all: background
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text("".join(yolo_line(box[0], box[1:], width, height) + "\n" for box in boxes))
    if names:
        (root / "classes.txt").write_text("\n".join(YOLO_NAMES) + "\n")
    return root
