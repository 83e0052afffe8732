"""The ``cnnstudio`` command line: ``main`` and one module per command."""
