"""Widgets shared by several tabs: plots, image grids, the dataset panel, the palette."""
