"""Command-line tools run as ``python -m mlsysim.tools.<name>``."""
