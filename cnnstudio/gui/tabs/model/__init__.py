"""The Model tab: the model form, its layer table and hints."""
