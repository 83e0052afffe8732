"""The Try tab: predict one image and explain the decision."""
