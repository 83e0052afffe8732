"""A run folder on disk: its files, checkpoints and status."""
