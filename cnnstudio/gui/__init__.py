"""The CNN Studio desktop app (PySide6). Views render core objects and trainer events; no training logic here."""
