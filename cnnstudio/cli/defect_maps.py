"""``cnnstudio predict RUN IMAGE... --maps DIR``: each defect map saved as a picture the size of its file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnnstudio.core.errors import ConfigError

SUFFIX = ".map.png"


def maps_folder(text: str) -> Path:
    """The folder for defect maps, created; ConfigError when it is a file or cannot be made."""
    folder = Path(text).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--maps {folder}: this is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"--maps {folder}: cannot create the folder ({error.strerror or error})") from error
    return folder


class DefectMapWriter:
    """Writes ``<stem>.map.png`` (grey, white = defect, the file's width and height) for each predicted entry
    with a heat map, and adds its path as ``entry["map"]``; names stay unique across one call."""

    def __init__(self, model: Any, folder: Path) -> None:
        self.model, self.folder = model, folder
        self.used: set[str] = set()

    def write(self, entry: dict[str, Any]) -> None:
        if "error" in entry or "heatmap" not in entry:
            return
        from PIL import Image

        from cnnstudio.core.data.image_io import fit_geometry
        from cnnstudio.core.evaluate.defect_map_geometry import map_in_file, map_picture

        with Image.open(entry["file"]) as image:  # the header: the file's own size
            width, height = image.size
        size = self.model.input_size
        in_file = map_in_file(entry["heatmap"], fit_geometry(height, width, size, "pad"), size, height, width)
        name = self._unique(Path(entry["file"]).stem)
        Image.fromarray(map_picture(in_file).numpy(), mode="L").save(self.folder / name)
        entry["map"] = str(self.folder / name)

    def _unique(self, stem: str) -> str:
        candidate, number = f"{stem}{SUFFIX}", 2
        while candidate in self.used:
            candidate, number = f"{stem}-{number}{SUFFIX}", number + 1
        self.used.add(candidate)
        return candidate
