"""Example CNN Studio plugin: a stripes dataset and an average-pool head.

Registration is cheap: torch is imported only inside ``load_stripes`` and
``build_head``, which run when a person picks the dataset or the head.
"""

from cnnstudio.plugin_api import DatasetSpec, HeadSpec, hookimpl, standard_options

__version__ = "0.1.0"
CLASSES = ("horizontal", "vertical")
CONTRAST = {"easy": 120, "normal": 60, "hard": 25}  # stripe brightness over noise in 0..100


def load_stripes(options):
    """Noise with horizontal (class 0) or vertical (class 1) stripes of random period and phase."""
    import torch

    from cnnstudio.plugin_api import ImageSet

    count, size = options["count"], options["size"]
    generator = torch.Generator().manual_seed(options["seed"])
    labels = torch.randint(0, 2, (count,), generator=generator)
    period = torch.randint(4, 9, (count, 1), generator=generator)
    phase = torch.randint(0, 8, (count, 1), generator=generator)
    on = ((torch.arange(size) + phase) % period) < period // 2  # (N, size) bool, one stripe profile each
    pattern = torch.where(labels[:, None, None] == 0, on[:, :, None], on[:, None, :])  # (N, size, size)
    noise = torch.randint(0, 100, (count, 3, size, size), generator=generator)
    images = noise + pattern[:, None] * CONTRAST[options["difficulty"]]  # (N, 3, size, size)
    return ImageSet(images.clamp(0, 255).to(torch.uint8), labels, list(CLASSES), name="example.stripes")


def build_head(feature_shape, num_classes, options):
    from cnnstudio_stripes.head import AvgPoolLinearHead  # torch loads only here

    return AvgPoolLinearHead(feature_shape, num_classes)  # options: the config's [head.options]


@hookimpl
def cnnstudio_datasets():
    return [
        DatasetSpec(
            id="example.stripes",
            title="Stripes (example plugin)",
            domain="Tutorial",
            description="Horizontal or vertical stripes on noise, from the example plugin package.",
            load=load_stripes,
            class_names=CLASSES,
            options=standard_options(count=400, size=32),
        )
    ]


@hookimpl
def cnnstudio_heads():
    return [
        HeadSpec(
            id="example.avgpool_linear",
            title="Average pool + linear (example plugin)",
            build=build_head,
            tasks=("classification",),
            description="Averages the feature map over space, then one linear layer.",
        )
    ]
