"""Using a trained run: predictions, evaluation, metrics, thresholds, Grad-CAM, comparing runs."""
