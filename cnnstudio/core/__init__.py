"""The core: datasets, the model, training, evaluation, reports and export. No Qt, no plugin manager, no CLI."""
