"""ModelStore and model files: atomic writes, safe loading, locking."""
from __future__ import annotations

import json
import os
import pickle
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from filelock import FileLock

from pytest_modelizer.store import (
    FORMAT_VERSION,
    CorruptModelError,
    LockTimeoutError,
    ModelArtifact,
    ModelError,
    ModelStore,
    atomic_write_bytes,
    load_artifact,
    read_meta,
    save_artifact,
)


class Booby:
    """Unpickling this creates a directory: proof that a loader executed the pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def artifact() -> ModelArtifact:
    return ModelArtifact({"key": "abc123", "metrics": {"exact_match": 0.5}},
                         {"w": torch.arange(6.0).reshape(2, 3), "tied": torch.arange(6.0).reshape(2, 3)})


def test_atomic_write_leaves_only_the_file(tmp_path):
    target = tmp_path / "sub" / "model.npz"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["model.npz"]


def test_failed_write_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "model.npz"
    atomic_write_bytes(target, b"old")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pytest_modelizer.store.os.fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_save_and_load_round_trip(tmp_path):
    path = tmp_path / "m.npz"
    save_artifact(artifact(), path, "float16")
    loaded = load_artifact(path)
    assert loaded.key == "abc123"
    assert loaded.metrics == {"exact_match": 0.5}
    for name in ("w", "tied"):
        assert loaded.state_dict[name].dtype == np.float32
        np.testing.assert_array_equal(loaded.state_dict[name], np.arange(6.0).reshape(2, 3))
    assert loaded.path == path
    assert read_meta(path)["key"] == "abc123"
    with np.load(path, allow_pickle=False) as archive:
        assert archive["w"].dtype == np.float16  # stored in 16 bits
        assert "tied" not in archive.files  # a tied weight is stored once


def test_the_torch_format_is_still_read(tmp_path):
    path = tmp_path / "m.pt"
    state = {k: v for k, v in artifact().state_dict.items()}
    torch.save({"format": FORMAT_VERSION, "meta": json.dumps(artifact().meta), "state_dict": state}, path)
    loaded = load_artifact(path)
    assert loaded.key == "abc123"
    np.testing.assert_array_equal(loaded.state_dict["w"], np.arange(6.0).reshape(2, 3))


def test_the_torch_format_without_torch_names_the_fix(tmp_path, monkeypatch):
    path = tmp_path / "m.pt"
    torch.save({"format": FORMAT_VERSION, "meta": json.dumps(artifact().meta), "state_dict": {}}, path)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ModelError) as info:
        load_artifact(path)
    message = str(info.value)
    assert str(path) in message and "older torch format" in message
    assert "pip install 'pytest-modelizer[train]'" in message and "retrain" in message


def assert_corrupt(path: Path, *fragments: str) -> str:
    with pytest.raises(CorruptModelError) as info:
        load_artifact(path)
    message = str(info.value)
    assert str(path) in message
    assert "--modelizer-train" in message and f"rm {path}" in message
    for fragment in fragments:
        assert fragment in message
    assert read_meta(path) is None
    return message


def test_garbage_file_is_corrupt(tmp_path):
    path = tmp_path / "m.pt"
    path.write_bytes(b"this is not a model at all")
    assert_corrupt(path, "unreadable")


def test_a_file_that_is_no_zip_archive_is_said_to_be_none_and_not_a_pickle(tmp_path):
    # numpy reads any file that is not a zip archive as a pickle, and refuses "pickled (object) data".
    path = tmp_path / "m.npz"
    path.write_bytes(b"garbage\n")
    message = assert_corrupt(path, "is not a model file (not a zip archive: it starts with b'garb')")
    assert "pickle" not in message and f"git checkout -- {path}" in message  # a shipped model is committed


def test_truncated_model_is_corrupt(tmp_path):
    good = tmp_path / "good.npz"
    save_artifact(artifact(), good)
    path = tmp_path / "m.npz"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert_corrupt(path)


@pytest.mark.parametrize(
    "payload",
    [{"weights": torch.zeros(2)}, torch.zeros(3), {"format": FORMAT_VERSION + 1, "meta": "{}", "state_dict": {}}],
    ids=["dict", "tensor", "other-format"],
)
def test_other_torch_file_is_not_a_model(tmp_path, payload):
    path = tmp_path / "m.pt"
    torch.save(payload, path)
    assert_corrupt(path, "is not a pytest-modelizer model")


@pytest.mark.parametrize("arrays", [{"w": np.zeros(2)}, {"__format__": np.array(FORMAT_VERSION + 1),
                                                       "__meta__": np.frombuffer(b"{}", np.uint8)}],
                         ids=["plain", "other-format"])
def test_other_npz_file_is_not_a_model(tmp_path, arrays):
    path = tmp_path / "m.npz"
    np.savez(path, **arrays)
    assert_corrupt(path, "is not a pytest-modelizer model")


def test_damaged_description_is_corrupt(tmp_path):
    path = tmp_path / "m.pt"
    torch.save({"format": FORMAT_VERSION, "meta": "{not json", "state_dict": {}}, path)
    assert_corrupt(path, "damaged description")
    path = tmp_path / "m.npz"
    np.savez(path, __format__=np.array(FORMAT_VERSION), __meta__=np.frombuffer(b"{not json", np.uint8))
    assert_corrupt(path, "damaged description")


@pytest.mark.parametrize("writer", ["torch", "pickle", "npz"])
def test_malicious_pickle_is_never_executed(tmp_path, writer):
    marker = tmp_path / "pwned"
    path = tmp_path / ("m.npz" if writer == "npz" else "m.pt")
    payload = {"format": FORMAT_VERSION, "meta": "{}", "state_dict": {"x": Booby(marker)}}
    if writer == "torch":
        torch.save(payload, path)
    elif writer == "pickle":
        path.write_bytes(pickle.dumps(payload))
    else:  # an object array in an npz is a pickle
        objects = np.empty(1, dtype=object)
        objects[0] = Booby(marker)
        np.savez(path, __format__=np.array(FORMAT_VERSION), __meta__=np.frombuffer(b'{"key": "k"}', np.uint8),
                 x=objects)
    # The payload really does create the marker when unpickled naively.
    assert not marker.exists()
    assert_corrupt(path)
    assert not marker.exists()


def test_lock_timeout_names_the_model_and_the_fix(tmp_path):
    store = ModelStore(tmp_path, lock_timeout=0.2)
    (tmp_path / "shout").mkdir()
    holder = FileLock(str(tmp_path / "shout" / ".forward.lock"))
    acquired, release = threading.Event(), threading.Event()

    def hold() -> None:
        with holder:
            acquired.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert acquired.wait(10)
        heard: list[str] = []
        with pytest.raises(LockTimeoutError) as info:
            with store.lock("shout", "forward", waiting=heard.append):
                pass
        # Waiting may last a whole training: said once, before the wait.
        assert len(heard) == 1 and "waiting for another process that trains the forward model of shout" in heard[0]
    finally:
        release.set()
        thread.join()
    message = str(info.value)
    assert "timed out after 0.2 s" in message
    assert "forward model of 'shout'" in message
    assert "--modelizer-lock-timeout" in message
    assert ".forward.lock" in message
    # Once the holder is gone, the lock is free again, and nothing waits.
    with store.lock("shout", "forward", waiting=heard.append):
        pass
    assert len(heard) == 1


def test_find_prefers_cache_then_shipped(tmp_path):
    store = ModelStore(tmp_path / "cache")
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "forward-k1.pt").write_bytes(b"x")
    assert store.find("s", "forward", "k1", shipped) == shipped / "forward-k1.pt"  # the older format still counts
    (shipped / "forward-k1.npz").write_bytes(b"x")
    assert store.find("s", "forward", "k1", shipped) == shipped / "forward-k1.npz"
    assert store.find("s", "forward", "k1") is None
    cached = store.path_for("s", "forward", "k1")
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"y")
    assert store.find("s", "forward", "k1", shipped) == cached
    assert store.find("s", "inverse", "k1", shipped) is None
    assert store.others("s", "forward") == [cached]
