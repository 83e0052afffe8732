"""The real-photo bench's compositing: small defects, tampering and logos land where their masks and boxes say,
and the written folders are read by the real MVTec, class-folder and YOLO imports."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from cnnstudio.host.manager import get_plugin_manager

LAYOUTS_FILE = Path(__file__).resolve().parents[2] / "bench" / "real_photo_layouts.py"


def _layouts():
    if "real_photo_layouts" not in sys.modules:
        spec = importlib.util.spec_from_file_location("real_photo_layouts", LAYOUTS_FILE)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["real_photo_layouts"]


def _dilate(mask: np.ndarray, steps: int = 1) -> np.ndarray:
    grown = mask.astype(bool)
    for _ in range(steps):
        padded = np.pad(grown, 1)
        grown = padded[1:-1, 1:-1] | padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:]
    return grown


def test_each_defect_is_small_and_changes_pixels_only_inside_its_mask():
    layouts = _layouts()
    rng = np.random.default_rng(3)
    texture = layouts.read_source("gravel").convert("L")
    for kind in layouts.DEFECT_TYPES:
        for _ in range(3):
            clean = np.asarray(layouts.random_crop(texture, (0, 0, *texture.size), rng))
            painted, mask = layouts.paint_defect(clean, kind, rng)
            changed = np.abs(painted.astype(int) - clean.astype(int)) > 12
            assert 0.004 <= mask.mean() <= 0.031, (kind, mask.mean())
            assert changed.sum() >= 0.5 * mask.sum(), kind  # visible: most masked pixels really changed
            assert not (changed & ~_dilate(mask, 2)).any(), kind


def test_each_tampering_changes_pixels_only_inside_its_mask():
    layouts = _layouts()
    rng = np.random.default_rng(4)
    page = layouts.read_source("page").convert("RGB")
    for kind in layouts.TAMPER_TYPES:
        for _ in range(3):
            clean = np.asarray(layouts.random_crop(page, (0, 0, *page.size), rng, hflip=False))
            forged, mask = layouts.tamper_document(clean, kind, rng)
            changed = np.abs(forged.astype(int) - clean.astype(int)).max(axis=2) > 0
            assert changed.any() and mask.mean() < 0.06, (kind, mask.mean())
            assert not (changed & ~mask.astype(bool)).any(), kind


def test_logo_box_bounds_every_pasted_pixel_and_is_small():
    layouts = _layouts()
    rng = np.random.default_rng(5)
    scene = layouts.read_source("coffee").convert("RGB")
    logo = layouts.load_logo()
    for _ in range(6):
        clean = layouts.random_crop(scene, (0, 0, *scene.size), rng)
        pasted, (x0, y0, x1, y1) = layouts.paste_logo(clean, logo, rng)
        changed = np.abs(np.asarray(pasted, int) - np.asarray(clean, int)).max(axis=2) > 40
        ys, xs = np.nonzero(changed)
        assert len(ys) > 0.3 * (x1 - x0) * (y1 - y0)
        assert xs.min() >= x0 - 1 and xs.max() < x1 + 1 and ys.min() >= y0 - 1 and ys.max() < y1 + 1
        assert 0.08 * layouts.OUT <= max(x1 - x0, y1 - y0) <= 0.4 * layouts.OUT


def test_written_folders_are_read_by_the_real_imports_with_their_masks_and_boxes(tmp_path):
    layouts = _layouts()
    layouts.write_mvtec(tmp_path / "mvtec", 24, "train", seed=1, defect_rate=0.5)
    layouts.write_documents(tmp_path / "docs", 10, "test", seed=2)
    layouts.write_yolo(tmp_path / "yolo", 10, "test", seed=3)
    layouts.write_documents_mvtec(tmp_path / "docs_masks", 10, "test", seed=2)
    manager = get_plugin_manager(reload=True)
    specs = {name: manager.dataset(str(tmp_path / name)) for name in ("mvtec", "docs", "yolo", "docs_masks")}

    assert {name: spec.task for name, spec in specs.items()} == {
        "mvtec": "defect", "docs": "classification", "yolo": "detection", "docs_masks": "defect"
    }
    # The same seed gives the same crops in both document layouts; the MVTec one carries the masks.
    docs, docs_masks = (specs[n].load(specs[n].resolve_options({"size": layouts.OUT})) for n in ("docs", "docs_masks"))
    by_stem = {Path(source).stem: index for index, source in enumerate(docs.sources)}
    assert sorted(by_stem) == sorted(Path(source).stem for source in docs_masks.sources)
    for index, source in enumerate(docs_masks.sources):
        twin = by_stem[Path(source).stem]
        assert np.array_equal(docs_masks.images[index].numpy(), docs.images[twin].numpy())
        forged = "genuine" not in Path(source).stem
        assert int(docs_masks.labels[index]) == int(forged) == (docs_masks.masks[index].sum() > 0)
    full_size = {"size": layouts.OUT}
    defects = specs["mvtec"].load(specs["mvtec"].resolve_options(full_size))
    assert defects.class_names == ["good", "defect"] and defects.masks is not None
    for index, source in enumerate(defects.sources):
        path = Path(source)
        if path.parent.name == "good":
            assert defects.labels[index] == 0 and defects.masks[index].sum() == 0
            continue
        mask_file = tmp_path / "mvtec" / "ground_truth" / path.parent.name / f"{path.stem}_mask.png"
        written = np.asarray(Image.open(mask_file))
        assert defects.labels[index] == 1
        assert np.array_equal(defects.masks[index].numpy() > 0, written > 0)

    logos = specs["yolo"].load(specs["yolo"].resolve_options(full_size))
    assert logos.class_names == ["background", "logo"]
    for index, source in enumerate(logos.sources):
        line = (tmp_path / "yolo" / "labels" / f"{Path(source).stem}.txt").read_text().split()
        boxes = np.asarray(logos.boxes[index])
        assert len(boxes) == (1 if line else 0) and int(logos.labels[index]) == (1 if line else 0)
        if line:
            cx, cy, w, h = (float(v) * layouts.OUT for v in line[1:])
            assert np.allclose(boxes[0], [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], atol=1.0)
