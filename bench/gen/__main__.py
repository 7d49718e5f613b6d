"""``python -m bench.gen --tickets N [--orgs 300] …``, from the repository's root.

Configured like ``campusdesk``: the environment (DATABASE_URL, DATA_DIR, DEBUG) says which
database the data go into.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campusdesk.settings")
    import django

    django.setup()
    from bench.gen.command import Command

    Command().run_from_argv(["python -m", "bench.gen", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
