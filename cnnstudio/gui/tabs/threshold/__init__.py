"""The Threshold tab: score plots and the decision threshold."""
