"""The trainer: one fit, its epochs, pace, advice and snapshots."""
