"""tests/compat: the 0.4.0 compatibility contract.

test_040_style.py needs the "surface" branch (REST field ``type``, one-line notification
reprs, IntEnum enums). Until that branch is merged it is left out of the default run; after
the merge, delete ``collect_ignore`` below so it runs with every ``nox -s tests``.
"""

collect_ignore = ["test_040_style.py"]
