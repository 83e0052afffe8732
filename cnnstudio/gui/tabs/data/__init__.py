"""The Data tab: thumbnails, class counts and skipped files of the loaded dataset."""
