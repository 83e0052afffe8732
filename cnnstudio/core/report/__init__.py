"""The self-contained HTML report of a run, rendered from data it is given."""
