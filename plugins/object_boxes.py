"""The ``boxes`` head (every object in an image, each with its box and score) and scenes with several logos.

The head is dense and anchor-free, on the backbone's feature grid
(CenterNet style, plugins/_dense_box_head.py), for any detection dataset:
``marketing.logo_scenes`` below, YOLO folders with several label lines per
image, the one-logo ``marketing.logos``, or a plugin's own. The dataset draws
0 to N copies of the brand's emblem per scene (plugins/_logo_scenes.py).
Registration is cheap: NumPy and torch are imported only when a dataset is
loaded or the head is built. The plugin talks to CNN Studio only through
``cnnstudio.plugin_api``.
"""

from __future__ import annotations

from typing import Any

from cnnstudio.plugin_api import DatasetOption, DatasetSpec, HeadSpec, hookimpl, private_module, standard_options

PLUGIN_PRIORITY = 45

SCENES_ID = "marketing.logo_scenes"
SCENE_CLASSES = ("no_logo", "logo")
SCENES_DESCRIPTION = (
    "Every logo in a scene: the brand's emblem (a ring around three bold petals that lean to the "
    "left) appears 0 to 'most_logos' times per picture, each copy at its own place, size (a small "
    "badge to a large sign), angle and colour, sometimes partly hidden, among look-alike emblems "
    "(the same ring around another mark; at 'hard' also the mirrored logo, two or four petals). "
    "Each logo has its own tight box; a scene with at least one is labelled 'logo'. Trained with "
    "the boxes head, which finds and counts every copy. A mirrored logo is not the logo, so "
    "training turns flip augmentation off for this dataset."
)

DESCRIPTION = (
    "Finds every object in an image, however many: each cell of the backbone's feature grid "
    "scores how likely it holds an object's centre and regresses that object's box; the local "
    "peaks become boxes and overlapping ones are merged (non-maximum suppression). Each box has "
    "its own score; boxes at or above the threshold are the ones counted, and the image's score "
    "is its strongest box's. Metrics over every box: AP at IoU 0.5 and averaged over IoU "
    "0.5-0.95 (COCO), box precision and recall at the threshold, and how often the number of "
    "boxes is exactly right."
)


def _build(feature_shape: tuple[int, int, int], num_classes: int, options: dict[str, Any]) -> Any:
    """Build the dense box head (imported only now: it needs torch)."""
    return private_module(__file__, "_dense_box_head").build_dense_box_head(feature_shape, num_classes, options)


@hookimpl
def cnnstudio_datasets() -> list[DatasetSpec]:
    """Scenes with several logos each."""
    return [
        DatasetSpec(
            id=SCENES_ID,
            title="Several logos per scene",
            domain="Marketing",
            description=SCENES_DESCRIPTION,
            task="detection",
            class_names=SCENE_CLASSES,
            mirror_safe=False,  # the mirrored pinwheel is one of the look-alikes
            options=standard_options(count=1000, size=128, difficulty="normal") + (
                DatasetOption("most_logos", 3, "most copies of the logo in one scene (0 to this many, equally likely)",
                              minimum=1, maximum=6),
                DatasetOption("distractors", 2, "most look-alike emblems per scene; 0 leaves only logos",
                              minimum=0, maximum=6),
            ),
            load=load_scenes,
            default_head="boxes",
        )
    ]


def load_scenes(options: dict[str, Any]) -> Any:
    """Generate the scenes for resolved ``options`` as an ImageSet with a box per logo."""
    return private_module(__file__, "_logo_scenes").generate_scenes(options, SCENES_ID, SCENE_CLASSES)


@hookimpl
def cnnstudio_heads() -> list[HeadSpec]:
    """The boxes head, for detection datasets."""
    return [
        HeadSpec(
            id="boxes",
            title="Object finder (every object, with boxes)",
            build=_build,
            options=("threshold", "box_weight"),
            tasks=("detection",),
            description=DESCRIPTION,
        )
    ]
