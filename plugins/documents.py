"""Document forgery: scanned document crops, genuine or tampered, generated procedurally.

Dataset ``documents.forgery`` draws crops of scanned paperwork: tinted paper
with grain and fibres, lines of text-like glyphs (optionally on ruled
lines), office stamps in semi-transparent ink and handwritten-looking
signatures, then scan blur and noise. A forged image carries exactly one
tampering (copy-move, spliced signature, erase-and-rewrite or resampling,
see _document_tampering.py) and its mask marks the tampered rectangle.
``difficulty`` sets how visible the tampering is.

Label kind ``documents.signature_region`` adds a "Signature region" box tool
to the Label tab, for people labelling their own scanned documents.

Registration is cheap: NumPy and torch are imported only when a dataset is
loaded. This plugin talks to CNN Studio only through ``cnnstudio.plugin_api``.
"""

from __future__ import annotations

from typing import Any

from cnnstudio.plugin_api import DatasetOption, DatasetSpec, LabelKindSpec, hookimpl, private_module, standard_options

DATASET_ID = "documents.forgery"
SIGNATURE_KIND_ID = "documents.signature_region"
CLASS_NAMES = ("genuine", "forged")
TAMPERS = ("copy_move", "splice", "erase", "resample")
# Images are rendered in chunks of about this many pixels, each chunk with its
# own random stream, so results depend only on the options.
CHUNK_PIXELS = 2**18

# How visible the tampering is. region: side of the tampered rectangle as a
# share of the image; exposure: brightness change of a copied patch; rescale:
# zoom factor of a resampled region; erase_noise / splice_noise: noise of the
# edited region relative to the page's; erase_blur: how much the erased region
# is smoothed; ink_shift: how far the new ink colour is from the original;
# paper_shift: tint change of edited paper; splice_width: stroke-width factor.
# grain: the page's scan-noise sigma range (more of it hides the traces).
DIFFICULTY = {
    "easy": dict(region=(0.45, 0.6), exposure=0.25, rescale=(2.0, 2.6), erase_noise=0.0, erase_blur=1.0,
                 ink_shift=0.65, paper_shift=0.15, splice_noise=(3.5, 4.5), splice_width=(2.5, 3.5),
                 grain=(0.045, 0.06)),
    "normal": dict(region=(0.38, 0.52), exposure=0.18, rescale=(1.7, 2.3), erase_noise=0.0, erase_blur=1.0,
                   ink_shift=0.5, paper_shift=0.11, splice_noise=(2.8, 3.8), splice_width=(2.1, 3.0),
                   grain=(0.035, 0.055)),
    "hard": dict(region=(0.25, 0.38), exposure=0.08, rescale=(1.35, 1.7), erase_noise=0.25, erase_blur=0.8,
                 ink_shift=0.3, paper_shift=0.06, splice_noise=(2.0, 2.8), splice_width=(1.6, 2.2),
                 grain=(0.025, 0.05)),
}

@hookimpl
def cnnstudio_datasets() -> list[DatasetSpec]:
    """The document-forgery dataset."""
    return [
        DatasetSpec(
            id=DATASET_ID,
            title="Document forgery",
            domain="Documents",
            description=(
                "Generated crops of scanned documents (text, ruled lines, stamps, signatures): "
                "genuine, or forged with one tampering. Forgery localisation asks not only "
                "'was this page edited?' but 'where?': an edit leaves traces a forger cannot "
                "see, such as a patch copied from elsewhere on the page (copy-move), a signature "
                "pasted from another document in a slightly different ink and stroke width "
                "(splice), a region wiped and rewritten whose paper is smoother and less noisy "
                "than the rest (erase), or a region rescaled, which smooths the scan noise "
                "(resample). Each forged image has a mask of the tampered region. The default "
                "heat-map head scores the whole image and also shows where on the page it "
                "thinks the tampering is; compare its heat map with the mask. 'difficulty' sets "
                "how subtle the edits are, 'forged_rate' the share of forged images and "
                "'tamper' restricts the forgeries to one kind."
            ),
            task="defect",
            class_names=CLASS_NAMES,
            default_head="heatmap",
            options=standard_options(count=2000, size=64, difficulty="normal")
            + (
                DatasetOption("forged_rate", 0.5, "share of forged images", minimum=0.0, maximum=1.0),
                DatasetOption("tamper", "all", "which tampering forged images carry: all kinds, or one",
                              choices=("all", *TAMPERS)),
            ),
            load=load_documents,
        )
    ]


@hookimpl
def cnnstudio_label_kinds() -> list[LabelKindSpec]:
    """The signature-region box tool."""
    return [
        LabelKindSpec(
            id=SIGNATURE_KIND_ID,
            title="Signature region",
            kind="boxes",
            classes=("signature",),
            hint=(
                "Box each handwritten signature on the scanned page, tight around the ink with its "
                "flourishes, but not the printed name or the line under it. Box faint and stamped-over "
                "signatures too: one left unboxed teaches the model that signatures are background."
            ),
            domain="Documents",
        )
    ]


def load_documents(options: dict[str, Any]) -> Any:
    """Generate the documents for resolved ``options`` as an ImageSet with masks."""
    import torch

    from cnnstudio.plugin_api import ImageSet

    result = generate(options)
    count = len(result["labels"])
    return ImageSet(
        images=torch.from_numpy(result["images"]),
        labels=torch.from_numpy(result["labels"]),
        class_names=list(CLASS_NAMES),
        masks=torch.from_numpy(result["masks"]),
        sources=[f"{DATASET_ID}#{i}" for i in range(count)],
        name=DATASET_ID,
    )


def generate(options: dict[str, Any]) -> dict[str, Any]:
    """Every array behind the dataset, as NumPy.

    images (N, 3, S, S) uint8; originals: the same documents before any
    tampering (equal to images for genuine ones); masks (N, S, S) uint8;
    labels (N,) int64 (1 = forged); kinds (N,) int64 index into TAMPERS, -1
    for genuine. Same options, bit-identical arrays. The forged count is
    round(count * forged_rate), kinds are balanced across forged images,
    and everything is shuffled.
    """
    import numpy as np

    count, size, seed = int(options["count"]), int(options["size"]), int(options["seed"])
    settings = DIFFICULTY[options.get("difficulty", "normal")]
    rate = float(options.get("forged_rate", 0.5))
    tamper = str(options.get("tamper", "all"))
    allowed = np.arange(len(TAMPERS)) if tamper == "all" else np.array([TAMPERS.index(tamper)])
    rng = np.random.default_rng([seed, 0])
    forged = round(count * rate)
    labels = rng.permutation((np.arange(count) < forged).astype(np.int64))
    kinds = np.full(count, -1, dtype=np.int64)
    kinds[labels == 1] = rng.permutation(allowed[np.arange(forged) % len(allowed)])
    images = np.empty((count, 3, size, size), dtype=np.uint8)
    originals = np.empty_like(images)
    masks = np.zeros((count, size, size), dtype=np.uint8)
    chunk = max(1, CHUNK_PIXELS // (size * size))
    for index, start in enumerate(range(0, count, chunk)):
        stop = min(count, start + chunk)
        chunk_rng = np.random.default_rng([seed, 1, index])
        done, clean, mask = render(chunk_rng, kinds[start:stop], size, settings)
        images[start:stop], originals[start:stop], masks[start:stop] = done, clean, mask
    return {"images": images, "originals": originals, "masks": masks, "labels": labels, "kinds": kinds}


def render(rng: Any, kinds: Any, size: int, settings: dict[str, Any]) -> tuple[Any, Any, Any]:
    """Draw one document per entry of ``kinds`` (-1 genuine), forge the others.

    Returns (tampered, untampered) (k, 3, size, size) uint8 and masks (k, size, size) uint8.
    """
    import numpy as np

    draw, forge = private_module(__file__, "_document_drawing"), private_module(__file__, "_document_tampering")
    k = len(kinds)
    scene = draw_scene(draw, rng, k, size, settings)
    originals = _to_uint8(scene["scan"])
    tampered = originals.copy()
    masks = np.zeros((k, size * size), dtype=np.uint8)
    forged_at = np.flatnonzero(kinds >= 0)
    if forged_at.size:
        part = {name: value[forged_at] for name, value in scene.items() if name != "layout"}
        part["layout"] = {name: value[forged_at] for name, value in scene["layout"].items()}
        forged, inside = forge.tamper(draw, rng, part, kinds[forged_at], size, settings)
        tampered[forged_at], masks[forged_at] = _to_uint8(forged), inside
    shape = (k, 3, size, size)
    return tampered.reshape(shape), originals.reshape(shape), masks.reshape(k, size, size)


def draw_scene(draw: Any, rng: Any, k: int, size: int, settings: dict[str, Any]) -> dict[str, Any]:
    """The layers of k scanned document crops; "scan" (k, 3, HW) float32 is the finished page."""
    import numpy as np

    u = draw.uniform
    X, Y = draw.grid(size)
    warmth = u(rng, k, 0.0, 0.05, 1)
    tint = u(rng, k, 0.84, 0.97, 1) + warmth * np.array([[1.0, 0.3, -1.0]], dtype=np.float32)
    paper = draw.paper(rng, k, size, tint.astype(np.float32))
    height = u(rng, k, 0.06, 0.1, 1) * size
    layout = {
        "height": height, "pitch": height * u(rng, k, 1.6, 2.2, 1), "width": height * u(rng, k, 0.55, 0.8, 1),
        "left": u(rng, k, -0.3, 0.15, 1) * size, "weight": u(rng, k, 0.1, 0.18, 1),
        "gap": u(rng, k, 0.12, 0.25, 1), "rule": (rng.uniform(0, 1, (k, 1)) < 0.35).astype(np.float32),
    }
    layout["y0"] = -u(rng, k, 0, 1, 1) * layout["pitch"]
    keys = rng.integers(0, 2**32, (k, 1), dtype=np.uint32)
    ink, rule = draw.text_coverage(size, layout, keys)
    text_ink = u(rng, k, 0.05, 0.25, 1) + u(rng, k, 0, 0.12, 3) * np.array([[0.0, 0.3, 1.0]], dtype=np.float32)
    page = paper * (1 - ink)[:, None]
    page += text_ink[:, :, None] * ink[:, None]
    ruled = np.flatnonzero(layout["rule"][:, 0])
    if ruled.size:
        rule_colour = np.array([0.55, 0.65, 0.85], dtype=np.float32)[None, :, None]
        page[ruled] *= 1 - rule[ruled, None] * (1 - ink[ruled, None]) * 0.6 * (1 - rule_colour)
    signature_ink = _pen_colours(rng, k)
    signed = np.flatnonzero(rng.uniform(0, 1, k) < 0.5)
    if signed.size:
        m = signed.size
        centre = (u(rng, m, 0.25, 0.75), u(rng, m, 0.25, 0.8))
        strokes = draw.signature_coverage(rng, m, size, (centre[0] * size, centre[1] * size),
                                          u(rng, m, 0.35, 0.6) * size, u(rng, m, 0.8, 1.2))
        page[signed] += (signature_ink[signed, :, None] - page[signed]) * strokes[:, None]
    stamped = np.flatnonzero(rng.uniform(0, 1, k) < 0.3)
    if stamped.size:
        m = stamped.size
        colours = np.array([[0.8, 0.15, 0.2], [0.2, 0.3, 0.8], [0.5, 0.2, 0.6]], dtype=np.float32)
        colour = colours[rng.integers(0, 3, m)]
        alpha = draw.stamp_coverage(rng, m, size, X, Y) * u(rng, m, 0.35, 0.7, 1)
        page[stamped] *= 1 - alpha[:, None] * (1 - colour[:, :, None])
    blurred = np.flatnonzero(rng.uniform(0, 1, k) < 0.6)  # scanner focus varies
    if blurred.size:
        m = blurred.size
        sharp = page[blurred]
        soft = draw.box_blur(sharp.reshape(m, 3, size, size)).reshape(m, 3, size * size)
        page[blurred] = sharp + (soft - sharp) * u(rng, m, 0.1, 0.6, 1, 1)
    noise = draw.unit_noise(rng, (k, 1, size * size))
    sigma = u(rng, k, *settings["grain"], 1, 1)
    scan = page + noise * sigma
    return {"scan": scan, "clean": page, "paper": paper, "noise": noise, "sigma": sigma,
            "layout": layout, "keys": keys, "text_ink": text_ink, "signature_ink": signature_ink}


def _pen_colours(rng: Any, k: int) -> Any:
    """(k, 3) ballpoint colours: blue, black or dark blue, a little varied."""
    import numpy as np

    pens = np.array([[0.1, 0.15, 0.55], [0.08, 0.08, 0.1], [0.1, 0.1, 0.3]], dtype=np.float32)
    return np.clip(pens[rng.integers(0, 3, k)] + rng.uniform(-0.05, 0.05, (k, 3)).astype(np.float32), 0, 1)


def _to_uint8(image: Any) -> Any:
    """(k, 3, HW) float32 in [0, 1] -> uint8, rounded."""
    import numpy as np

    scaled = image * np.float32(255)
    scaled += np.float32(0.5)
    return np.clip(scaled, 0.0, 255.0, out=scaled).astype(np.uint8)
