"""Reading a person's image files into RGB uint8 tensors, and fitting them to a square.

``fit_image`` makes a picture square; ``fit_mask`` and ``fit_boxes`` move a
defect mask or boxes with it, through ``fit_geometry`` (what fit_image does).

``read_image`` accepts whatever Pillow opens (PNG, JPEG, BMP, WebP, TIFF) in
any pixel mode and always returns (3, H, W) uint8 RGB:

- EXIF orientation is applied (a phone photo taken upright stays upright).
- Transparency (RGBA, LA, PA, palette with a transparent colour) is
  composited onto WHITE: product shots on transparent backgrounds are
  meant to be seen on white, and a black background would invent edges.
- 16-bit images are scaled to 8 bits (65535 -> 255), not clipped.
- Grayscale, 1-bit, CMYK and other modes are converted to RGB.

Anything that cannot be read raises ``DatasetError`` naming the file and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from cnnstudio.core.data.standard_options import IMAGE_EXTENSIONS, RESIZE_POLICIES  # noqa: F401 (re-exported)
from cnnstudio.core.errors import DatasetError

# Larger images are refused before decoding (an 89-megapixel photo is ~270 MB
# of RGB; a decompression bomb claims billions of pixels). Kept at Pillow's
# own warning threshold so Pillow never warns first; checked here rather than
# by changing Pillow's global, which other code may rely on.
MAX_IMAGE_PIXELS = 89_000_000

_ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")


def read_image(path: Path, draft_size: int | None = None) -> torch.Tensor:
    """Decode the image at ``path`` into a (3, H, W) uint8 RGB tensor.

    ``draft_size`` lets JPEG decoding skip detail that a later resize to
    ``draft_size`` pixels would throw away (much faster for camera photos);
    the result is then at least that size on both sides, not exactly it.
    """
    return read_image_and_size(path, draft_size)[0]


def read_image_and_size(path: Path, draft_size: int | None = None) -> tuple[torch.Tensor, tuple[int, int]]:
    """``read_image``, and the (height, width) of the whole upright image.

    With ``draft_size`` a JPEG decodes at 1/2, 1/4 or 1/8 of its size (never
    below ``draft_size`` on either side): the tensor is then smaller than the
    (height, width) returned, which is what boxes and hotspots are given in.
    A six-megapixel photo drafted for a 128 px model takes 1.1 MB instead of 18 MB.
    """
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise DatasetError(f"{path}: not a readable image (the file is empty, 0 bytes)")
    except OSError as error:
        raise DatasetError(f"{path}: not a readable image ({_os_reason(error)})") from None
    try:
        with Image.open(path) as image:
            _check_size(path, image)
            width, height = image.size
            if draft_size and image.format == "JPEG":
                image.draft("RGB", (draft_size, draft_size))
            image.load()
            upright, turned = _upright(image)
            if turned:
                width, height = height, width
            # Converted inside the block: a closed Pillow image has no pixels.
            array = np.array(_to_rgb(upright), dtype=np.uint8)  # (H, W, 3)
    except DatasetError:
        raise
    except UnidentifiedImageError:
        raise DatasetError(f"{path}: not a readable image (not an image file Pillow can recognise)") from None
    except Image.DecompressionBombError as error:
        raise DatasetError(f"{path}: not a readable image (too large: {error})") from None
    except (PermissionError, FileNotFoundError, IsADirectoryError) as error:
        raise DatasetError(f"{path}: not a readable image ({_os_reason(error)})") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise DatasetError(f"{path}: not a readable image ({_decode_reason(error)})") from None
    # numpy's transpose copy: torch's, per image on the decode threads, starts its own thread pool each time.
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1))), (height, width)


def fit_image(image: torch.Tensor, size: int, policy: str = "pad") -> torch.Tensor:
    """Make a (3, H, W) uint8 image a (3, size, size) uint8 square.

    stretch: resize both sides to ``size`` (distorts the aspect ratio).
    pad:     keep the aspect ratio and letterbox; the bars take the mean
             colour of the image's border pixels, so a product on white gets
             white bars and no artificial edge appears.
    crop:    cut the largest centred square, then resize it.
    """
    if policy not in RESIZE_POLICIES:
        raise ValueError(f"resize policy must be one of {', '.join(RESIZE_POLICIES)}, got {policy!r}")
    height, width = int(image.shape[-2]), int(image.shape[-1])
    if policy == "crop" and height != width:
        from torchvision.transforms.v2 import functional as F  # here: torchvision takes about a second to import

        side = min(height, width)
        image = F.center_crop(image, [side, side])
        height = width = side
    if policy == "pad" and height != width:
        scale = size / max(height, width)
        new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
        fill = _border_mean(image)
        image = _resize(image, new_h, new_w)
        canvas = fill.view(3, 1, 1).expand(3, size, size).clone()  # (3, size, size) uint8
        top, left = (size - new_h) // 2, (size - new_w) // 2
        canvas[:, top : top + new_h, left : left + new_w] = image
        return canvas
    return _resize(image, size, size)


@dataclass(frozen=True)
class FitGeometry:
    """Where ``fit_image`` puts an original pixel: ``fitted = original * scale + offset`` per axis."""

    scale_x: float
    scale_y: float
    offset_x: float
    offset_y: float

    def to_fitted(self, boxes: torch.Tensor) -> torch.Tensor:
        """(K, 4) x0, y0, x1, y1 boxes in original pixels -> fitted-image pixels."""
        scale = boxes.new_tensor([self.scale_x, self.scale_y, self.scale_x, self.scale_y])
        offset = boxes.new_tensor([self.offset_x, self.offset_y, self.offset_x, self.offset_y])
        return boxes * scale + offset

    def to_original(self, boxes: torch.Tensor) -> torch.Tensor:
        """(K, 4) boxes in fitted-image pixels -> original pixels (the inverse of ``to_fitted``)."""
        scale = boxes.new_tensor([self.scale_x, self.scale_y, self.scale_x, self.scale_y])
        offset = boxes.new_tensor([self.offset_x, self.offset_y, self.offset_x, self.offset_y])
        return (boxes - offset) / scale


def fit_geometry(height: int, width: int, size: int, policy: str = "pad") -> FitGeometry:
    """The geometry ``fit_image`` applies to a ``height`` x ``width`` image (to map masks and boxes alike)."""
    if policy not in RESIZE_POLICIES:
        raise ValueError(f"resize policy must be one of {', '.join(RESIZE_POLICIES)}, got {policy!r}")
    if policy == "crop" and height != width:
        side = min(height, width)
        # torchvision's center_crop rounds the same way.
        top, left = int(round((height - side) / 2.0)), int(round((width - side) / 2.0))
        scale = size / side
        return FitGeometry(scale, scale, -left * scale, -top * scale)
    if policy == "pad" and height != width:
        scale = size / max(height, width)
        new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
        return FitGeometry(new_w / width, new_h / height, float((size - new_w) // 2), float((size - new_h) // 2))
    return FitGeometry(size / width, size / height, 0.0, 0.0)


def fit_mask(mask: torch.Tensor, size: int, policy: str = "pad") -> torch.Tensor:
    """Fit an (H, W) mask (non-zero = defect) exactly as ``fit_image`` fits its image.

    Returns (size, size) uint8 of 0/1; letterbox bars are 0. Nearest-neighbour
    resizing keeps the mask binary and aligned with the image. A defect
    smaller than one output pixel would vanish that way, so when it does the
    mask marks every output pixel the defect touches.
    """
    height, width = int(mask.shape[-2]), int(mask.shape[-1])
    geometry = fit_geometry(height, width, size, policy)
    x0, y0, x1, y1 = _picture(geometry, height, width, size)
    window = geometry.to_original(torch.tensor([[x0, y0, x1, y1]], dtype=torch.float64))[0]
    sx0, sy0, sx1, sy1 = window.round().long().tolist()  # the part of the mask that stays visible
    binary = (mask[sy0:sy1, sx0:sx1] > 0).to(torch.uint8)[None]  # (1, h, w)
    resized = binary
    if tuple(binary.shape[-2:]) != (y1 - y0, x1 - x0):
        from torchvision.transforms import InterpolationMode
        from torchvision.transforms.v2 import functional as F

        resized = F.resize(binary, [y1 - y0, x1 - x0], interpolation=InterpolationMode.NEAREST_EXACT)
        if binary.any() and not resized.any():
            coverage = F.resize(binary.float(), [y1 - y0, x1 - x0],
                                interpolation=InterpolationMode.BILINEAR, antialias=True)
            resized = (coverage > 0).to(torch.uint8)
    canvas = torch.zeros(size, size, dtype=torch.uint8)
    canvas[y0:y1, x0:x1] = resized[0]
    return canvas


def fit_boxes(
    boxes: torch.Tensor, height: int, width: int, size: int, policy: str = "pad"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Move (K, 4) x0, y0, x1, y1 boxes of a ``height`` x ``width`` image as ``fit_image`` moves its pixels.

    Returns the (K', 4) float32 boxes in fitted pixels, clipped to the picture
    (not to letterbox bars), and a (K,) bool tensor saying which were kept:
    a box left with no width or height (cropped away) is dropped.
    """
    geometry = fit_geometry(height, width, size, policy)
    x0, y0, x1, y1 = _picture(geometry, height, width, size)
    fitted = geometry.to_fitted(boxes.to(torch.float32).reshape(-1, 4))
    fitted[:, 0::2] = fitted[:, 0::2].clamp(x0, x1)
    fitted[:, 1::2] = fitted[:, 1::2].clamp(y0, y1)
    kept = (fitted[:, 2] > fitted[:, 0]) & (fitted[:, 3] > fitted[:, 1])
    return fitted[kept].contiguous(), kept


def _picture(geometry: FitGeometry, height: int, width: int, size: int) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 of the fitted square covered by the picture (the rest is letterbox bars)."""
    corners = geometry.to_fitted(torch.tensor([[0, 0, width, height]], dtype=torch.float64))[0]
    x0, y0, x1, y1 = corners.clamp(0, size).round().long().tolist()
    return x0, y0, x1, y1


def _resize(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    if tuple(image.shape[-2:]) == (height, width):
        return image
    from torchvision.transforms import InterpolationMode  # here: torchvision takes about a second to import
    from torchvision.transforms.v2 import functional as F

    return F.resize(image, [height, width], interpolation=InterpolationMode.BILINEAR, antialias=True)


def _border_mean(image: torch.Tensor) -> torch.Tensor:
    """Mean RGB of the outermost rows and columns, as (3,) uint8."""
    border = torch.cat(
        [image[:, 0, :], image[:, -1, :], image[:, :, 0], image[:, :, -1]], dim=1
    ).to(torch.float32)
    return border.mean(dim=1).round().to(torch.uint8)


def _check_size(path: Path, image: Image.Image) -> None:
    width, height = image.size
    if width == 0 or height == 0:
        raise DatasetError(f"{path}: not a readable image (zero size: {width}x{height} pixels)")
    if width * height > MAX_IMAGE_PIXELS:
        raise DatasetError(
            f"{path}: not a readable image (too large: {width}x{height} pixels, "
            f"the limit is {MAX_IMAGE_PIXELS // 1_000_000} megapixels)"
        )


def _upright(image: Image.Image) -> tuple[Image.Image, bool]:
    """Apply the EXIF orientation tag, and say whether that swapped width and height; a damaged EXIF block is ignored."""
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
        return ImageOps.exif_transpose(image), orientation in (5, 6, 7, 8)
    except Exception:  # noqa: BLE001 - bad EXIF must not make a good image unreadable
        return image, False


def _to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode == "RGB":
        return image
    if mode.startswith("I;16") or mode == "I" or mode == "F":
        return Image.fromarray(_to_8bit(np.asarray(image), mode)).convert("RGB")
    if (mode == "P" and "transparency" in image.info) or mode in _ALPHA_MODES:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _to_8bit(values: np.ndarray, mode: str) -> np.ndarray:
    """Map a 16-bit, 32-bit integer or float single-channel array to uint8.

    'I;16' data is scaled by 255/65535. A 32-bit 'I' array whose values fit
    0..255 is taken as 8-bit data, one that fits 0..65535 as 16-bit. A float
    'F' array in 0..1 is scaled by 255. Any other range is stretched
    min..max.
    """
    values = values.astype(np.float64)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if mode.startswith("I;16"):
        scaled = values * (255.0 / 65535.0)
    elif mode == "F" and low >= 0 and high <= 1:
        scaled = values * 255.0
    elif mode == "I" and low >= 0 and high <= 255:
        scaled = values
    elif mode == "I" and low >= 0 and high <= 65535:
        scaled = values * (255.0 / 65535.0)
    else:
        scaled = (values - low) * (255.0 / max(high - low, 1e-12))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _decode_reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if "truncated" in text.lower() or isinstance(error, EOFError):
        return f"the file is truncated or damaged: {text}"
    return f"cannot decode: {text}"


def _os_reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "file not found"
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, IsADirectoryError):
        return "is a folder, not a file"
    return error.strerror or str(error)
