"""Leave the user's pytest process as found: global random seeds and torch's thread count.

fuzzingbook draws from the global `random` module and training seeds torch's global generator,
so both are seeded for reproducibility inside the plugin's work, then put back.
"""
from __future__ import annotations

import random
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def preserved_global_state() -> Iterator[None]:
    """Restore `random`'s state, torch's default generator and its thread count after the block."""
    import torch

    state, torch_state, threads = random.getstate(), torch.random.get_rng_state(), torch.get_num_threads()
    try:
        yield
    finally:
        random.setstate(state)
        torch.random.set_rng_state(torch_state)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
