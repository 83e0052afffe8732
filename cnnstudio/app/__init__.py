"""What ties the plugin host to the core: the runner, the training process and its child, report and export jobs."""
