"""``python -m cnnstudio`` runs the command-line interface."""

import sys

from cnnstudio.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
