"""Command-line interface: ``deep-classiflie`` and ``python deep_classiflie.py``."""
