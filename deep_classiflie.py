#!/usr/bin/env python
"""``python deep_classiflie.py --config configs/<job>.yaml`` — same as the ``deep-classiflie`` console script."""

from deep_classiflie.cli.main import run

if __name__ == "__main__":
    run()
