"""ModelStore: the on-disk model cache, keyed, locked, written atomically, never pickled.

A model file is a numpy `.npz` archive read with `allow_pickle=False`: the weights under their
`Seq2Seq` state-dict names, in 16 bits where that changes none of the model's greedy answers on
its held-out inputs (else 32), read back as float32; and the description as UTF-8 JSON. Files of
the earlier torch format (`.pt`) are still read where torch is installed.
"""
from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:
    from pytest_modelizer.spec import ModelSpec

# Bump when the layout of weights and description changes: every cached model becomes stale, with a
# message. The container is not part of it: `.pt` and `.npz` files hold format 1 alike, so the keys
# of models trained before the `.npz` container stay valid.
FORMAT_VERSION = 1
SUFFIX = ".npz"
LEGACY_SUFFIX = ".pt"  # torch.save files, read with torch (weights_only=True) where it is installed
SUFFIXES = (SUFFIX, LEGACY_SUFFIX)
# Weights are stored in 16 bits where that gives the same greedy answers on the model's held-out
# inputs (decoder.storage_dtype), else in 32; either is read back as float32.
STORED_DTYPES = ("float16", "float32")
_META, _FORMAT, _ALIASES = "__meta__", "__format__", "__aliases__"


class ModelError(Exception):
    """A model is missing, stale or unreadable; the message says how to repair it."""


class ModelMissingError(ModelError):
    pass


class CorruptModelError(ModelError):
    pass


class LockTimeoutError(ModelError):
    pass


class CacheDirError(ModelError, OSError):
    """The model cache cannot be written (read-only, not a directory, disk full, ...): path, cause and fix.

    Also an OSError, so that code which handles OS errors on files still catches it.
    """

    def __init__(self, message: str, path: Path | None = None, cause: OSError | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.cause = cause

    def __str__(self) -> str:
        return str(self.args[0])


CACHE_DIR_FIX = "choose a writable cache directory with --modelizer-cache-dir DIR or MODELIZER_CACHE_DIR=DIR " \
                "(modelizer commands: --cache-dir DIR)"
# What to do about an error, where it is not the cache directory's place or permissions.
_ERRNO_FIX = {
    getattr(errno, name): f"{advice} or {CACHE_DIR_FIX}"
    for name, advice in (("ENOSPC", "free some disk space"), ("EDQUOT", "free some of your disk quota"),
                         ("EFBIG", "raise the file-size limit (ulimit -f)"))
    if hasattr(errno, name)  # EDQUOT is not on every platform
}


def cache_error(path: Path, exc: OSError, doing: str) -> CacheDirError:
    """A CacheDirError for `exc`, raised while `doing` (e.g. "write") `path`."""
    if isinstance(exc, CacheDirError):
        return exc
    cause = exc.strerror or str(exc) or type(exc).__name__
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
    fix = _ERRNO_FIX.get(exc.errno or 0, CACHE_DIR_FIX)
    return CacheDirError(f"modelizer: cannot {doing} {path}: {cause}{where}. Fix: {fix}", path, exc)


# https://bford.info/cachedir/: backup and archiving tools skip a directory holding this file.
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pytest-modelizer (models and training pairs).\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


def ensure_cache_dir(cache_dir: Path) -> None:
    """Create `cache_dir` (tagged with CACHEDIR.TAG) if it does not exist; CacheDirError when it cannot be."""
    if cache_dir.is_dir():
        return
    try:
        cache_dir.mkdir(parents=True)
    except FileExistsError:
        if not cache_dir.is_dir():  # a file is in the way; a directory means another process made it
            raise cache_error(cache_dir, NotADirectoryError(errno.ENOTDIR, "it exists and is not a directory"),
                              "create the model cache directory") from None
        return
    except OSError as exc:
        raise cache_error(cache_dir, exc, "create the model cache directory") from None
    atomic_write_text(cache_dir / "CACHEDIR.TAG", CACHEDIR_TAG)


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
    """Write `data` to `path` so that readers see the old file or the whole new one.

    An OSError (read-only, not a directory, disk full, file-size limit) becomes a CacheDirError
    naming the path and the fix; no temporary file is left behind.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise cache_error(path, exc, "write") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a shared cache wants the usual mode
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise cache_error(path, exc, "write") from None
        raise


@functools.cache
def _umask() -> int:
    mask = os.umask(0)  # the only way to read it; once per process, before any writer thread
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def _array(value: Any) -> Any:
    """A weight as a numpy array (torch tensors from training included, without importing torch)."""
    import numpy as np

    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def stored_dtype(weights: dict[str, Any]) -> str:
    """The dtype a model's weights were stored in: "float16" where every weight is a 16-bit float's value."""
    import numpy as np

    full = [np.asarray(_array(v), dtype=np.float32) for v in weights.values()]
    return "float16" if all(np.array_equal(v, v.astype(np.float16).astype(np.float32)) for v in full) else "float32"


def save_artifact(artifact: ModelArtifact, path: Path, dtype: str = "float32") -> None:
    """Save weights (as `dtype`) and description in one `.npz` file, atomically; a tied weight is stored once."""
    import io

    import numpy as np

    assert dtype in STORED_DTYPES, f"weights are stored as one of {STORED_DTYPES}, not {dtype!r}"
    arrays: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple, str] = {}
    for name, value in artifact.state_dict.items():
        stored = np.ascontiguousarray(_array(value), dtype=dtype)
        fingerprint = (stored.shape, stored.tobytes())
        if fingerprint in seen:  # tied weights (the shared embedding and the output layer) are one array
            aliases[name] = seen[fingerprint]
            continue
        seen[fingerprint] = name
        arrays[name] = stored
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        **{_FORMAT: np.array(FORMAT_VERSION), _META: _json_bytes(artifact.meta), _ALIASES: _json_bytes(aliases)},
        **arrays,
    )
    atomic_write_bytes(path, buffer.getvalue())
    artifact.path = path


def _json_bytes(value: Any) -> Any:
    import numpy as np

    return np.frombuffer(json.dumps(value, sort_keys=True).encode(), dtype=np.uint8)


# What every model file's description holds; MODEL_META_KEYS: what building the model from it needs.
REQUIRED_META_KEYS = ("key",)
MODEL_META_KEYS = ("key", "src_vocab", "tgt_vocab", "model")


class _Meta(dict):
    """A model description whose missing keys are a CorruptModelError naming the file, never a KeyError."""

    def __init__(self, data: dict[str, Any], path: Path, fix: str) -> None:
        super().__init__(data)
        self._path, self._fix = path, fix

    def __missing__(self, key: str) -> Any:
        raise CorruptModelError(f"model file {self._path} has no {key!r} in its description; {self._fix}")


def _load_failure(exc: Exception) -> str:
    """Why a file could not be read, in one line, without torch's advice to load it unsafely."""
    text = str(exc).strip()
    if "WeightsUnpickler error:" in text:  # torch suggests weights_only=False: never for a cache file
        detail = text.split("WeightsUnpickler error:", 1)[1].strip().splitlines()
        return f"not a plain-tensor torch file: {detail[0].strip() if detail else 'unsupported content'}"
    first = text.splitlines()[0].split(". ")[0].rstrip(".") if text else ""
    if not first or "weights_only" in first or "allow_pickle" in first:
        return type(exc).__name__
    return f"{type(exc).__name__}: {first}"


def _read_npz(path: Path, fix: str) -> tuple[Any, str, dict[str, Any]]:
    """(format, description JSON, float32 weights) of an `.npz` model file, with tied weights restored."""
    import zipfile

    import numpy as np

    try:
        with open(path, "rb") as file:
            start = file.read(4)
    except OSError as exc:
        raise CorruptModelError(f"model file {path} is unreadable ({_load_failure(exc)}); {fix}") from None
    if start not in (b"PK\x03\x04", b"PK\x05\x06"):  # numpy would take anything else for a pickle
        raise CorruptModelError(f"model file {path} is not a model file (not a zip archive: it starts with "
                                f"{start!r}); {fix}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = set(archive.files)
            if _META not in names or _FORMAT not in names:
                raise CorruptModelError(
                    f"model file {path} is not a pytest-modelizer model (no description in it); {fix}")
            found = archive[_FORMAT].item()
            meta = archive[_META].tobytes().decode()
            aliases = json.loads(archive[_ALIASES].tobytes().decode()) if _ALIASES in names else {}
            state = {name: archive[name].astype(np.float32) for name in sorted(names - {_META, _FORMAT, _ALIASES})}
    except CorruptModelError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise CorruptModelError(f"model file {path} is unreadable ({_load_failure(exc)}); {fix}") from None
    try:
        state.update({name: state[target] for name, target in aliases.items()})
    except (KeyError, TypeError, AttributeError):
        raise CorruptModelError(f"model file {path} has damaged weights (a tied weight is missing); {fix}") from None
    return found, meta, state


def _read_torch_file(path: Path, fix: str) -> tuple[Any, str, dict[str, Any]]:
    """(format, description JSON, weights) of a `.pt` model file, written by torch.save before `.npz`."""
    from pytest_modelizer.training_stack import INSTALL, installed  # it imports this module's ModelError

    if not installed("torch"):
        raise ModelError(
            f"model file {path} is in the older torch format, and torch is not installed to read it. "
            f"Install it ({INSTALL}), or retrain the model, which saves it as {SUFFIX}"
        )
    import torch

    try:
        with warnings.catch_warnings():  # e.g. "Detected pickle protocol 4": the error below says it all
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch's weights-only unpickler raises anything (IndexError, ...)
        raise CorruptModelError(f"model file {path} is unreadable ({_load_failure(exc)}); {fix}") from None
    if not isinstance(payload, dict) or "meta" not in payload:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        return found, "", {}
    try:
        return payload.get("format"), payload["meta"], {k: v.numpy() for k, v in dict(payload["state_dict"]).items()}
    except (TypeError, ValueError, KeyError, AttributeError, RuntimeError) as exc:
        raise CorruptModelError(f"model file {path} has a damaged description ({exc}); {fix}") from None


def load_artifact(path: Path, require: tuple[str, ...] = REQUIRED_META_KEYS) -> ModelArtifact:
    """Load a model file (`.npz` without pickle; a `.pt` with torch's `weights_only=True`); else it is corrupt.

    The description must hold the keys in `require` (MODEL_META_KEYS to build a model from it);
    a key missing later is a CorruptModelError too, when it is read as `meta[key]`.
    """
    fix = (f"delete it (rm {path}) and retrain with `pytest --modelizer-train` or `modelizer train`; where it is "
           f"committed (a shipped model), restore it from version control (git checkout -- {path})")
    read = _read_torch_file if path.suffix == LEGACY_SUFFIX else _read_npz
    found, text, state = read(path, fix)
    if found != FORMAT_VERSION:
        raise CorruptModelError(
            f"model file {path} is not a pytest-modelizer model of format {FORMAT_VERSION} (found {found!r}); {fix}"
        )
    try:
        meta = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise CorruptModelError(f"model file {path} has a damaged description ({exc}); {fix}") from None
    if not isinstance(meta, dict):
        raise CorruptModelError(f"model file {path} has a damaged description (not a JSON object); {fix}")
    missing = [k for k in require if k not in meta]
    if missing:
        raise CorruptModelError(
            f"model file {path} has an incomplete description (no {', '.join(map(repr, missing))}); {fix}"
        )
    return ModelArtifact(_Meta(meta, path, fix), state, path)


def read_meta(path: Path) -> dict[str, Any] | None:
    """The description of a model file, or None when it cannot be read."""
    try:
        return load_artifact(path).meta
    except ModelError:
        return None


@dataclass
class ModelStore:
    """Models under `cache_dir/<subject>/<direction>-<key>.npz`; shipped dirs are read-only fallbacks."""

    cache_dir: Path
    lock_timeout: float = 1800.0
    shipped: list[Path] = field(default_factory=list)

    def path_for(self, subject: str, direction: str, key: str) -> Path:
        return self.cache_dir / subject / f"{direction}-{key}{SUFFIX}"

    def model_file(self, spec: "ModelSpec") -> Path:
        """Where a trained model of `spec` is written (in the cache)."""
        return self.path_for(spec.subject.name, spec.label, spec.key)

    def find_model(self, spec: "ModelSpec") -> Path | None:
        """The file holding the model `spec` names, by its key: in the cache or the subject's shipped models."""
        return self.find(spec.subject.name, spec.label, spec.key, spec.subject.shipped_models)

    def find(self, subject: str, direction: str, key: str, shipped: Path | None = None) -> Path | None:
        """The file holding the model with `key`: the cache first, then the shipped models; `.npz` before `.pt`."""
        for folder in [self.cache_dir / subject, *([shipped] if shipped else []), *self.shipped]:
            for suffix in SUFFIXES:
                candidate = folder / f"{direction}-{key}{suffix}"
                if candidate.is_file():
                    return candidate
        return None

    def others(self, subject: str, direction: str, shipped: Path | None = None) -> list[Path]:
        """Model files for the subject and direction with any key (newest first): stale candidates."""
        found: list[Path] = []
        for folder in [self.cache_dir / subject, *([shipped] if shipped else [])]:
            if folder.is_dir():
                found.extend(p for suffix in SUFFIXES for p in folder.glob(f"{direction}-*{suffix}"))
        return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)

    def check_writable(self, subject: str | None = None) -> None:
        """Raise CacheDirError (path, cause, fix) unless models can be written under the cache dir.

        Creates the cache dir (tagged with CACHEDIR.TAG) and, with `subject`, its folder; then
        creates and removes a probe file. Call it before spending minutes on synthesis.
        """
        ensure_cache_dir(self.cache_dir)
        folder = self.cache_dir / subject if subject else self.cache_dir
        try:
            folder.mkdir(exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".write-probe.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise cache_error(folder, exc, "write into the model cache directory") from None
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)

    @contextlib.contextmanager
    def lock(self, subject: str, direction: str, waiting: Callable[[str], None] = lambda msg: None) -> Iterator[None]:
        """Exclusive lock for training one model, across processes and pytest-xdist workers.

        `waiting` hears, once, that another process holds it (a wait may last a whole training).
        """
        from filelock import FileLock, Timeout

        ensure_cache_dir(self.cache_dir)
        folder = self.cache_dir / subject
        lock_path = folder / f".{direction}.lock"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(lock_path), timeout=self.lock_timeout)
            try:
                lock.acquire(timeout=0)
            except Timeout:
                waiting(f"waiting for another process that trains the {direction} model of {subject} "
                        f"(lock {lock_path})")
                lock.acquire()
        except Timeout:  # a TimeoutError, and so an OSError: first
            raise LockTimeoutError(
                f"timed out after {self.lock_timeout:g} s waiting for {lock_path}: another process is training "
                f"the {direction} model of {subject!r}. Wait for it, or if no such process runs, delete the lock "
                f"file; raise the wait with --modelizer-lock-timeout"
            ) from None
        except OSError as exc:
            raise cache_error(lock_path, exc, "create the lock file") from None
        try:
            yield
        finally:
            lock.release()
