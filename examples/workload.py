"""The custom experiment's example: a task function and an input maker, both at the top level of a module
that imports nothing beyond the standard library (docs/experiments/custom.md shows how to point the
experiment at your own).

``custom.workload: "examples.workload:longest_chain"`` and ``custom.inputs: "examples.workload:make_inputs"``
(the defaults): the input maker returns the task arguments, one call of the task function each; the
serial loop's results are what every Pool and backend must return.
"""


def longest_chain(bounds: tuple[int, int]) -> tuple[int, int]:
    """The number in ``range(*bounds)`` (from 1 on) with the longest Collatz chain, and that chain's
    length: pure-Python CPU work, a few milliseconds for a few hundred numbers."""
    best, best_steps = 0, -1
    for n in range(*bounds):
        steps, x = 0, n
        while x != 1:
            x = x // 2 if x % 2 == 0 else 3 * x + 1
            steps += 1
        if steps > best_steps:
            best, best_steps = n, steps
    return best, best_steps


def make_inputs(tasks: int = 48, size: int = 500) -> list[tuple[int, int]]:
    """``tasks`` task arguments: consecutive ranges of ``size`` numbers from 1 on (``size`` sets each
    task's work; ``custom.sizes`` passes it)."""
    if tasks < 1 or size < 1:
        raise ValueError(f"tasks and size must be at least 1, got tasks={tasks}, size={size}")
    return [(1 + i * size, 1 + (i + 1) * size) for i in range(tasks)]
