"""A defect map in the file's own pixels: its peak point, and the map the size of the file.

The head's map (h, w) covers the model's input square (``size`` x ``size``), which is the file
fitted by ``fit_image`` (letterboxed, stretched or cropped: ``FitGeometry``). Sampling the map
bilinearly at each file pixel's place in that square undoes the fit; padding bars never count.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnnstudio.core.data.image_io import FitGeometry


def _grid(geometry: FitGeometry, size: int, height: int, width: int) -> torch.Tensor:
    """(1, H, W, 2) grid_sample coordinates of each file pixel's centre in the fitted square."""
    xs = (torch.arange(width, dtype=torch.float32) + 0.5) * geometry.scale_x + geometry.offset_x
    ys = (torch.arange(height, dtype=torch.float32) + 0.5) * geometry.scale_y + geometry.offset_y
    # align_corners=False: -1 and 1 are the outer edges of the square, so a cell covers size / w pixels.
    gx, gy = xs * (2.0 / size) - 1.0, ys * (2.0 / size) - 1.0
    return torch.stack(torch.meshgrid(gy, gx, indexing="ij")[::-1], dim=-1)[None]


def map_in_file(heatmap: torch.Tensor, geometry: FitGeometry, size: int, height: int, width: int) -> torch.Tensor:
    """(H, W) float map in the file's pixels from an (h, w) map over the ``size`` input square.

    A cropped-away part of the file (crop policy) takes the nearest edge of the map.
    """
    grid = _grid(geometry, size, height, width)
    sampled = F.grid_sample(heatmap.float()[None, None], grid, mode="bilinear", padding_mode="border",
                            align_corners=False)
    return sampled[0, 0]


def peak_in_file(heatmap: torch.Tensor, geometry: FitGeometry, size: int, height: int, width: int,
                 max_side: int = 1024) -> list[float]:
    """[x, y]: the strongest point of the map in the file's pixels (the centre of its hottest pixel).

    Large files are searched on a grid of at most ``max_side`` points a side, then mapped back.
    """
    step = max(1, -(-max(height, width) // max_side))  # ceil: keeps the sampled map small
    grid = _grid(geometry, size, height, width)[:, ::step, ::step]
    sampled = F.grid_sample(heatmap.float()[None, None], grid, mode="bilinear", padding_mode="border",
                            align_corners=False)[0, 0]
    row, column = divmod(int(sampled.argmax()), int(sampled.shape[1]))
    x = min(column * step + (step - 1) / 2 + 0.5, float(width))
    y = min(row * step + (step - 1) / 2 + 0.5, float(height))
    return [round(x, 1), round(y, 1)]


def map_picture(heatmap_in_file: torch.Tensor) -> torch.Tensor:
    """(H, W) uint8 grey picture of a map in [0, 1] (white: most likely defect)."""
    return (heatmap_in_file.clamp(0, 1) * 255).round().to(torch.uint8)
