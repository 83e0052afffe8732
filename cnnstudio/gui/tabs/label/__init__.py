"""The Label tab: give your own images classes, boxes or defect masks, saved in the layouts you use."""
