"""Work off the GUI thread: background jobs and the caches and loaders built on them."""
