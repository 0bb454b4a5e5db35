"""``python -m mpbench advise ...``: the cost model's advice for a workload (mpbench.model; docs/model.md).
Standard library only: it answers from results/model.json without importing pandas or the plotting libraries."""

import sys

COMMANDS = ("advise",)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(
            f"usage: python -m mpbench {{{','.join(COMMANDS)}}} ...; allowed commands: {', '.join(COMMANDS)}",
            file=sys.stderr,
        )
        return 2
    from .model import main as advise

    return advise(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
