"""Regenerate resources/samples/: the sample photos the Try an image tab offers, and their README.txt.

They are cut from the photographs scikit-image ships (``skimage.data``; nothing
is downloaded), shrunk to at most MAX_SIDE pixels and saved as small JPEGs.

    .venv/bin/python scripts/make_sample_images.py
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"
MAX_SIDE = 320
QUALITY = 85
MAX_BYTES = 40_000


@dataclass(frozen=True)
class Sample:
    file: str
    function: str  # the skimage.data function
    what: str
    licence: str  # as scikit-image's docstring of that function states it


SAMPLES_TABLE = (
    Sample("coffee-cup.jpg", "coffee", "a cup of coffee on a wooden table (courtesy of Pikolo Espresso Bar)",
           "CC0 by the photographer (Rachel Michetti)"),
    Sample("cat.jpg", "chelsea", "Chelsea the cat", "CC0 by the photographer (Stefan van der Walt)"),
    Sample("astronaut.jpg", "astronaut", "the astronaut Eileen Collins (NASA Great Images database)",
           "no known copyright restrictions, released into the public domain"),
    Sample("rocket-launch.jpg", "rocket", "the launch of DSCOVR on a Falcon 9 (SpaceX Photos)",
           "released into the public domain by SpaceX"),
    Sample("brick-wall.jpg", "brick", "a section of a brick wall, greyscale (CC0Textures, Bricks25)",
           "Creative Commons CC0"),
)

README = """\
Sample photos for CNN Studio's "Try an image" tab
==================================================

Regenerate them with: .venv/bin/python scripts/make_sample_images.py

Each is one of the photographs that scikit-image {version} ships in its package
data (skimage/data/, see skimage/data/README.txt), loaded with the named
skimage.data function, shrunk to at most {side} pixels and saved as a JPEG
(quality {quality}). Nothing else was changed.

The licence of each photograph is the one scikit-image states in the
docstring of that function (skimage/data/_fetchers.py). scikit-image's own
code is under the BSD-3-Clause licence (its LICENSE.txt); these photographs
are public domain or CC0, so they may be copied, changed and shipped freely.

{rows}
"""


def make(sample: Sample) -> Image.Image:
    """The photo of ``sample`` (RGB, or greyscale as shipped), at most MAX_SIDE pixels on its long side."""
    import skimage.data

    pixels = np.asarray(getattr(skimage.data, sample.function)())
    image = Image.fromarray(pixels).convert("L" if pixels.ndim == 2 else "RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return image


def main() -> int:
    import skimage

    SAMPLES.mkdir(parents=True, exist_ok=True)
    rows = []
    for sample in SAMPLES_TABLE:
        path = SAMPLES / sample.file
        image = make(sample)
        image.save(path, quality=QUALITY, optimize=True)
        size = path.stat().st_size
        if size > MAX_BYTES:
            print(f"{path}: {size} bytes, more than {MAX_BYTES}; lower QUALITY or MAX_SIDE", file=sys.stderr)
            return 1
        rows.append(f"{sample.file}\n    skimage.data.{sample.function}(): {sample.what}\n"
                    f"    {image.width} x {image.height} px. Licence: {sample.licence}.")
        print(f"{path.name}: {image.width} x {image.height}, {size:,} bytes")
    text = README.format(version=skimage.__version__, side=MAX_SIDE, quality=QUALITY, rows="\n\n".join(rows))
    (SAMPLES / "README.txt").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
