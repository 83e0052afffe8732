"""The plugin host: hook specifications, plugin discovery, the plugin manager and the built-in plugin."""
