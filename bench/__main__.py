"""``python -m bench NAME [options]``: run one benchmark by name.

Each entry of ``BENCHES`` names a module ``bench.<module>`` with a ``main(argv) -> int``;
the module parses its own options (``--clients``, ``--duration``, ``--json``, ...).
"""

from __future__ import annotations

import importlib
import sys

BENCHES: dict[str, str] = {
    "webchat": "bench.webchat",
    "kb": "bench.kb",
    "email": "bench.email",
    "crash": "bench.crash",
    "search": "bench.search",
    "urgency": "bench.urgency",
}


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``NAME`` to its module's ``main`` with the remaining arguments."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in BENCHES:
        names = ", ".join(sorted(BENCHES))
        print(f"usage: python -m bench NAME [options]  (NAME: {names})", file=sys.stderr)
        if args and args[0] not in ("-h", "--help"):
            print(f"unknown benchmark {args[0]!r}", file=sys.stderr)
            return 2
        return 0 if args else 2
    module = importlib.import_module(BENCHES[args[0]])
    return int(module.main(args[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
