"""Leave the user's pytest process as found: global random seeds and torch's thread count.

fuzzingbook draws from the global `random` module and training seeds torch's global generator,
so both are seeded for reproducibility inside the plugin's work, then put back. torch is only
looked at where it is already imported: replaying a model never loads it, and a torch that the
block itself imports (training) has no earlier state of the user's to restore.
"""
from __future__ import annotations

import random
import sys
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def preserved_global_state() -> Iterator[None]:
    """Restore `random`'s state and, where torch is loaded, its default generator and thread count after the block."""
    torch = sys.modules.get("torch")
    state = random.getstate()
    torch_state = (torch.random.get_rng_state(), torch.get_num_threads()) if torch is not None else None
    try:
        yield
    finally:
        random.setstate(state)
        if torch is not None and torch_state is not None:
            torch.random.set_rng_state(torch_state[0])
            if torch.get_num_threads() != torch_state[1]:
                torch.set_num_threads(torch_state[1])
