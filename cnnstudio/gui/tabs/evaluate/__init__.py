"""The Evaluate tab: confusion, per-class metrics and the mistakes gallery."""
