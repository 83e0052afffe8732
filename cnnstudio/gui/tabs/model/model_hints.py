"""Teaching tooltips for the Model tab, and which control each config field belongs to.

The wording borrows the lesson's "Common CNN Mistakes" so a person meets
each lesson where they change the setting it is about.
"""

from __future__ import annotations

import re

PRESET = (
    "A named starting model. The seed family is the lesson's SimpleCNN and its mini challenges; "
    "recommended is CNN Studio's default. Choosing a preset replaces the model settings below and the "
    "training recipe it comes with (learning rate, optimizer, augmentation); epochs and splits stay yours."
)
CONV_LAYERS = (
    "The backbone: each row is a conv layer of small filters slid over the whole image (the same weights "
    "everywhere: parameter sharing), detecting local patterns from edges to textures to parts. "
    "Select a row to remove or move it."
)
FILTERS = (
    "How many filters (output channels) this layer learns. More filters see more kinds of pattern but cost "
    "parameters, time and memory; past a few hundred a small dataset cannot train them "
    "(the lesson's \"using too many filters: your GPU cries\"). 16-64 is plenty here."
)
KERNEL = "The filter's width and height in pixels (3 = 3x3). Odd sizes keep the map centred."
PADDING = (
    "Zeros added around the map before the filter slides. 'same' (kernel // 2) keeps the map's size; "
    "0 shrinks it by kernel - 1 pixels per layer."
)
POOL_AFTER = (
    "A 2x2 pooling layer after this conv: halves the map's width and height, so later layers see a wider "
    "area for the same cost (\"middle management summarises what the interns found\"). Each one also "
    "halves the map: too many and it shrinks to nothing."
)
POOLING = (
    "What a 2x2 pooling layer keeps of each window. max: the strongest response (\"MaxPooling: where only "
    "the strongest features survive\"), good for small sharp features like scratches. avg: the mean, "
    "smoother but it dilutes a feature that covers one pixel of four (mini challenge 2)."
)
ACTIVATION = "The non-linearity after each conv (and batch-norm). relu is the lesson's; the others are smooth variants."
DROPOUT = (
    "Share of the feature values set to zero at random during training, before the head (mini challenge 4: "
    "\"less gossip among neurons\"). A cheap guard against memorising a small training set; 0 turns it off."
)
BATCH_NORM = (
    "Normalise each conv layer's output over the batch. Training gets faster and less sensitive to the "
    "learning rate, the same reason inputs are normalised, applied inside the network."
)
GLOBAL_POOL = (
    "How the final feature map reaches the classifier.\n\n"
    "max / avg: squeeze each filter's whole map into one number (its strongest or its mean response). "
    "A filter that fires on a small scratch then counts the same wherever the scratch is, so small defects "
    "are found anywhere in the image, and the head has one weight per filter, not per pixel.\n\n"
    "none: flatten the whole map (the lesson's SimpleCNN). The linear layer gets one weight per pixel "
    "position, so on a small dataset it memorises where things were in the training images instead of what "
    "they look like: the lesson's \"flattening too early: you lose spatial relationships\"."
)
INPUT_SIZE = (
    "The model's input: every image is resized to this many pixels square before the model sees it. "
    "This is a second resize, after the dataset's own \"Load images at\" option (in the dataset options on the "
    "left) has set the size images are kept in memory. Enlarging past the loaded size adds no detail, only cost. "
    "Larger keeps small defects visible but costs time (work grows with the square of the size); each pooling "
    "layer halves it."
)


def loaded_size_note(loaded: int | None, model_input: int, cost: tuple[float, float] | None = None) -> str:
    """What happens between the dataset's loaded size and the model's input size, or "" when they agree.

    ``cost``: (compute, layer memory) of a model input of ``loaded`` px as multiples of the current one.
    """
    if not loaded or loaded == model_input:
        return ""
    if loaded < model_input:
        return (f"Images are loaded at {loaded} px and enlarged again to {model_input} px for the model: "
                f"enlarging adds no detail, only training time. For more detail, raise \"Load images at\" in "
                f"the dataset options and reload; otherwise set Model input to {loaded}.")
    factor = loaded / model_input
    keep = (f" A model input of {loaded} px would keep them, at {cost[0]:.1f}x the compute per image and "
            f"{cost[1]:.1f}x the layer memory." if cost else "")
    return (f"Images are loaded at {loaded} px and shrunk again to {model_input} px for the model, so details "
            f"finer than that are lost: {factor:.1f}x smaller, a 2 px scratch becomes {2 / factor:.1f} px.{keep} "
            f"Loading at {model_input} px would be faster and use less memory.")
NORMALIZE = (
    "Subtract the training images' mean and divide by their spread, per colour channel, so inputs sit around 0 "
    "with unit spread. The lesson's mistake \"forgetting to normalize images: the CNN becomes emotionally "
    "unstable\": without it the first layer's gradients are lopsided and training is slow and erratic. "
    "(The published SimpleCNN forgot it; CNN Studio turns it on.)"
)
HEAD = (
    "What the model answers: a class (classification), a class plus a heat map of where the defect is "
    "(heatmap), or a class plus a box around the logo (box). Only heads that fit the loaded dataset's task "
    "are listed; 'default' is the one the dataset recommends."
)
SUMMARY = (
    "Every layer of the model as it will be built, for one image: its output shape (channels x height x width), "
    "parameters (weights to learn), FLOPs (2 x multiply-adds of conv and linear layers) and the memory its "
    "output takes at float32. 'fc' is the classifier's linear layer; other heads (heat map, box) list their "
    "own layers as 'head.<name>'."
)
MEMORY = (
    "An estimate of the memory training takes at its peak, made from the settings before anything is loaded: "
    "the dataset as loaded (count x size x size x 3 bytes) and its copies at the model's input size, the "
    "parameters with their gradients and the optimizer's state, and the layer outputs of one batch kept for the "
    "backward pass. Training refuses to start when it would not fit in the memory available, and warns above 60%."
)

_CONTROL_FIELDS = {
    "model.conv_layers": "conv_layers",
    "model.pooling": "pooling",
    "model.activation": "activation",
    "model.dropout": "dropout",
    "model.batch_norm": "batch_norm",
    "model.global_pool": "global_pool",
    "model.flatten_features": "global_pool",
    "model.input_size": "input_size",
    "model.normalize_inputs": "normalize_inputs",
    "head": "head",
}


def control_for_field(field: str) -> str:
    """The Model tab control a config field belongs to ("conv_layers", "global_pool", ...), or "" for none.

    ``model.conv_layers[1].pool`` -> ``conv_layers``; ``training.lr`` -> "" (the Train tab's).
    """
    base = re.sub(r"\[\d+\].*$", "", field.strip())
    for prefix, control in _CONTROL_FIELDS.items():
        if base == prefix or base.startswith(prefix + "."):
            return control
    return ""


def conv_index(field: str) -> int | None:
    """The conv layer a field names (``model.conv_layers[2].kernel`` -> 2), else None."""
    match = re.match(r"model\.conv_layers\[(\d+)\]", field.strip())
    return int(match.group(1)) if match else None


def error_field(message: str) -> str:
    """The field a ConfigError message starts with ("model.dropout must be ..." -> "model.dropout")."""
    first = message.split(" ", 1)[0].rstrip(":,;")
    return first if "." in first or first in ("seed", "device", "threads") else ""
