"""Worker-side spies for the tests that watch what ran: each call leaves a note,
in a ``spy-notes`` directory beside the file it reads, of the process it ran in
and how that process was started (a Pool child imports this module by name,
under every start method; the note's place comes with the call, because a
forkserver started earlier would not see a new environment variable)."""

import multiprocessing
import os

from mpbench import workloads


def notes_dir(src) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(src)), "spy-notes")


def read(src, i):
    folder = notes_dir(src)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, str(os.getpid())), "a") as fh:
        fh.write(f"{multiprocessing.get_start_method()} {i}\n")
    return workloads.read_once(src, i)


def notes(folder) -> tuple[set[str], set[int]]:
    """The start methods the children reported, and their pids."""
    methods, pids = set(), set()
    for path in os.listdir(folder):
        pids.add(int(path))
        with open(os.path.join(folder, path)) as fh:
            methods |= {line.split()[0] for line in fh if line.strip()}
    return methods, pids
