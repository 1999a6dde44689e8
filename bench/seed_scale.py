"""A county-to-province data set for the benchmarks (bench/scale/, README "Scale").

    python -m bench.seed_scale --cases 1000000 [--replace]

On the database of DATABASE_URL (PostgreSQL: it writes with COPY), migrated first. It replaces
every case and household, so it refuses a database that holds cases unless --replace is given.
A benchmark tool, not a command of the platform: `manage.py` does not offer it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "platform"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onedoor.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from bench.scale.build import Options, seed_scale  # noqa: E402
from onedoor.cases.models import Case  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--counties", type=int, default=0, help="0: one per 25,000 cases")
    parser.add_argument("--townships", type=int, default=8, help="per county")
    parser.add_argument("--villages", type=int, default=6, help="per township")
    parser.add_argument("--variants", type=int, default=4, help="real runs per scenario")
    parser.add_argument("--workers", type=int, default=2, help="processes writing with COPY")
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--replace",
        action="store_true",
        help="required when the database already holds cases: they are all deleted",
    )
    args = parser.parse_args(argv)
    call_command("migrate", verbosity=0)
    if Case.objects.exists() and not args.replace:
        print(
            "bench.seed_scale: the database holds cases; --replace deletes them all",
            file=sys.stderr,
        )
        return 2
    try:
        seed_scale(
            Options(
                cases=args.cases,
                counties=args.counties,
                townships=args.townships,
                villages=args.villages,
                variants=args.variants,
                workers=args.workers,
                chunk_size=args.chunk_size,
                seed=args.seed,
            )
        )
    except RuntimeError as exc:
        print(f"bench.seed_scale: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
