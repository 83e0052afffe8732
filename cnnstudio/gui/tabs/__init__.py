"""The main window's tabs, one sub-package each."""
