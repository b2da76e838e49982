"""ModelStore: the on-disk model cache, keyed, locked, written atomically, never pickled."""
from __future__ import annotations

import functools
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

# Bump when the checkpoint layout changes: every cached model becomes stale, with a message.
FORMAT_VERSION = 1
SUFFIX = ".pt"


class ModelError(Exception):
    """A model is missing, stale or unreadable; the message says how to repair it."""


class ModelMissingError(ModelError):
    pass


class CorruptModelError(ModelError):
    pass


class LockTimeoutError(ModelError):
    pass


@dataclass
class ModelArtifact:
    """A trained model: weights plus the JSON that describes them (config, vocabularies, metrics)."""

    meta: dict[str, Any]
    state_dict: dict[str, Any]
    path: Path | None = None

    @property
    def key(self) -> str:
        return self.meta["key"]

    @property
    def metrics(self) -> dict[str, Any]:
        return self.meta.get("metrics", {})


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a shared cache wants the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@functools.cache
def _umask() -> int:
    mask = os.umask(0)  # the only way to read it; once per process, before any writer thread
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def save_artifact(artifact: ModelArtifact, path: Path) -> None:
    """Save weights and description in one file, atomically."""
    import io

    import torch

    buffer = io.BytesIO()
    payload = {
        "format": FORMAT_VERSION,
        "meta": json.dumps(artifact.meta, sort_keys=True),
        "state_dict": {k: v.detach().cpu().contiguous() for k, v in artifact.state_dict.items()},
    }
    torch.save(payload, buffer)
    atomic_write_bytes(path, buffer.getvalue())
    artifact.path = path


def load_artifact(path: Path) -> ModelArtifact:
    """Load a model file with `weights_only=True`; anything else is reported as corrupt."""
    import torch

    fix = f"delete it (rm {path}) and retrain with `pytest --modelizer-train` or `modelizer train`"
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch's weights-only unpickler raises anything (IndexError, ...)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CorruptModelError(f"model file {path} is unreadable ({reason}); {fix}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION or "meta" not in payload:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise CorruptModelError(
            f"model file {path} is not a pytest-modelizer model of format {FORMAT_VERSION} (found {found!r}); {fix}"
        )
    try:
        meta = json.loads(payload["meta"])
        state = dict(payload["state_dict"])
    except (TypeError, ValueError, KeyError) as exc:
        raise CorruptModelError(f"model file {path} has a damaged description ({exc}); {fix}") from None
    return ModelArtifact(meta, state, path)


def read_meta(path: Path) -> dict[str, Any] | None:
    """The description of a model file, or None when it cannot be read."""
    try:
        return load_artifact(path).meta
    except ModelError:
        return None


@dataclass
class ModelStore:
    """Models under `cache_dir/<subject>/<direction>-<key>.pt`; shipped dirs are read-only fallbacks."""

    cache_dir: Path
    lock_timeout: float = 1800.0
    shipped: list[Path] = field(default_factory=list)

    def path_for(self, subject: str, direction: str, key: str) -> Path:
        return self.cache_dir / subject / f"{direction}-{key}{SUFFIX}"

    def find(self, subject: str, direction: str, key: str, shipped: Path | None = None) -> Path | None:
        """The file holding the model with `key`: the cache first, then the shipped models."""
        name = f"{direction}-{key}{SUFFIX}"
        for folder in [self.cache_dir / subject, *([shipped] if shipped else []), *self.shipped]:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        return None

    def others(self, subject: str, direction: str, shipped: Path | None = None) -> list[Path]:
        """Model files for the subject and direction with any key (newest first): stale candidates."""
        found: list[Path] = []
        for folder in [self.cache_dir / subject, *([shipped] if shipped else [])]:
            if folder.is_dir():
                found.extend(folder.glob(f"{direction}-*{SUFFIX}"))
        return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)

    @contextmanager
    def lock(self, subject: str, direction: str) -> Iterator[None]:
        """Exclusive lock for training one model, across processes and pytest-xdist workers."""
        from filelock import FileLock, Timeout

        folder = self.cache_dir / subject
        folder.mkdir(parents=True, exist_ok=True)
        lock_path = folder / f".{direction}.lock"
        lock = FileLock(str(lock_path), timeout=self.lock_timeout)
        try:
            lock.acquire()
        except Timeout:
            raise LockTimeoutError(
                f"timed out after {self.lock_timeout:g} s waiting for {lock_path}: another process is training "
                f"the {direction} model of {subject!r}. Wait for it, or if no such process runs, delete the lock "
                f"file; raise the wait with --modelizer-lock-timeout"
            ) from None
        try:
            yield
        finally:
            lock.release()
