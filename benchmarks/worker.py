"""`python -m benchmarks.worker KIND SPEC`: one measurement in a fresh interpreter (see `common.run_worker`)."""
from __future__ import annotations

import json
import sys
from typing import Sequence

from benchmarks.common import RESULT_MARK


def main(argv: Sequence[str]) -> int:
    from benchmarks.startup import load_worker
    from benchmarks.training import train_worker

    kind, spec = argv[0], json.loads(argv[1])
    result = {"train": train_worker, "load": load_worker}[kind](spec)
    sys.stdout.write(RESULT_MARK + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
