"""The window's dialogs: export, plugins, preferences, help."""
