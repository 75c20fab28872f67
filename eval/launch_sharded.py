"""``changer eval`` under ``accelerate launch``: frames sharded over processes.

::

    accelerate launch --multi_gpu --num_processes 2 -m eval.launch_sharded \\
        --data DIR --splits test_hdtf --methods paste,poisson --out outputs/eval [--cpu]

takes the options of ``changer eval``. Each process evaluates its share of the batches;
the rows are gathered once and the main process writes the cache and the outputs. The
table is the same as a single-process run's (``tests/eval/test_runner.py`` checks this).

``--multi_gpu`` selects accelerate's ``torch.distributed`` launcher: on a machine without
GPUs the processes run on the CPU and talk over gloo; on a GPU machine each takes a GPU
(our own ``--cpu``, after the module name, keeps them on the CPU). Do not use accelerate's
``--cpu`` flag for this: it starts several processes only through MPI (``mpirun``) and
otherwise runs a single process. With the command wired into the CLI,
``accelerate launch ... -m changer.cli eval ...`` works the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the ``changer eval`` options and run."""
    from changer.commands.evaluate import build_parser, run

    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
