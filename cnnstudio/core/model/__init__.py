"""The model: the configurable backbone, heads, presets, the layer summary, the memory budget."""
