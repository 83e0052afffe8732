"""The Runs tab: the list of runs, resume, variants and comparison."""
