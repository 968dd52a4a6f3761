"""``python -m jellyfish``: the ``jellyfish`` command (see ``docs/cli.md``)."""

import sys

from jellyfish._cli import main

if __name__ == "__main__":
    sys.exit(main())
