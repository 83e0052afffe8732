"""Labels a person gives their own images in the Label tab: the label set, its file, undo, layouts."""
