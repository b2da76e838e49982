"""Faults: a killed parent, an unwritable cache, damaged files, wrong subjects, concurrent trainers."""
from __future__ import annotations

import errno
import os
import pickle
import random
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import toy
from pytest_modelizer.store import CorruptModelError, ModelArtifact, ModelError, ModelStore, atomic_write_bytes, \
    load_artifact, save_artifact
from pytest_modelizer.spec import ModelSpec

linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(toy.TESTS_DIR), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def _state(pid: int) -> str | None:
    """A process's state letter from /proc (None: no such process)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _alive(pid: int) -> bool:
    return _state(pid) not in (None, "Z")  # a zombie has ended: only its exit status is left


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def _wait_until(predicate, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# --- 1. a killed parent leaves no workers -------------------------------------------------------

CALLABLE_PARENT = """
import sys, threading, time
import toy
from pytest_modelizer.runner import ProgramRunner

def sleepy(text):  # defined in __main__: the workers are forked
    return toy.sleepy(text)

program = toy.sleepy if sys.argv[1] == "forkserver" else sleepy  # toy.sleepy: started by the fork server
runner = ProgramRunner(toy.make_subject(program=program, timeout=120), workers=2)
runner.run_many(["a", "b"])  # two workers, idle now
threading.Thread(target=runner.run, args=("sleep",), daemon=True).start()  # a third, busy
while len(runner._pool) < 1 or not runner._pool[0].process.is_alive():
    time.sleep(0.01)
time.sleep(0.5)
print(" ".join(str(w.process.pid) for w in runner._pool), flush=True)
time.sleep(120)
"""


@linux_only
@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_killed_parent_leaves_no_callable_workers(method):
    parent = subprocess.Popen([sys.executable, "-c", CALLABLE_PARENT, method], stdout=subprocess.PIPE, text=True,
                              env=_env())
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]  # type: ignore[union-attr]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
    finally:
        parent.kill()
        parent.wait()
    assert _wait_until(lambda: not any(_alive(p) for p in pids)), [(p, _state(p)) for p in pids if _alive(p)]


COMMAND_PARENT = """
import sys
import toy
from pytest_modelizer.runner import ProgramRunner

# A shell that starts a grandchild in its process group, says who they are and waits.
program = ["sh", "-c", "sleep 60 & echo $$ $! > " + sys.argv[1] + "; wait"]
with ProgramRunner(toy.make_subject(program=program, timeout=120), workers=1) as runner:
    runner.run("x")
"""


@linux_only
def test_killed_parent_leaves_no_command_process_group(tmp_path):
    ids = tmp_path / "ids"
    parent = subprocess.Popen([sys.executable, "-c", COMMAND_PARENT, str(ids)], env=_env())
    try:
        assert _wait_until(lambda: ids.is_file() and ids.read_text().endswith("\n"), 30)
        pgid, grandchild = map(int, ids.read_text().split())
        assert _alive(grandchild) and _group_members(pgid)
        time.sleep(0.3)  # the group is registered with the reaper right after it starts
    finally:
        parent.kill()
        parent.wait()
    assert _wait_until(lambda: not _group_members(pgid)), _group_members(pgid)


def test_segfaulting_program_prints_no_faulthandler_dump(pytester):
    pytester.makepyfile(
        textwrap.dedent(
            f"""
            import ctypes, sys
            sys.path.insert(0, {str(toy.TESTS_DIR)!r})
            import toy
            from pytest_modelizer.runner import ProgramRunner

            def segfault(text):
                return ctypes.string_at(0)

            def test_crashes_are_behaviour():
                with ProgramRunner(toy.make_subject(program=segfault), workers=1) as runner:
                    runs = runner.run_many(["a", "b", "c"])
                assert [r.behaviour.failure for r in runs] == ["crash"] * 3
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    output = "\n".join(result.outlines + result.errlines)
    assert "Fatal Python error" not in output
    assert "Segmentation fault" not in output


# --- 2. an unwritable cache is an error that names the path and the fix ---------------------------

def _assert_cache_error(exc: BaseException, path: Path, *fragments: str) -> None:
    from pytest_modelizer.store import CacheDirError

    assert isinstance(exc, CacheDirError) and isinstance(exc, ModelError)
    message = str(exc)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message


def test_cache_path_that_is_a_file(tmp_path):
    cache = tmp_path / "cache"
    cache.write_text("not a directory")
    store = ModelStore(cache)
    with pytest.raises(ModelError) as info:
        store.check_writable("shout")
    _assert_cache_error(info.value, cache, "not a directory", "--modelizer-cache-dir DIR", "MODELIZER_CACHE_DIR")
    with pytest.raises(ModelError) as info:
        with store.lock("shout", "forward"):
            pass
    _assert_cache_error(info.value, cache, "--modelizer-cache-dir")
    with pytest.raises(ModelError) as info:
        atomic_write_bytes(cache / "shout" / "pairs.jsonl", b"{}\n")
    _assert_cache_error(info.value, cache / "shout" / "pairs.jsonl", "Not a directory", "--modelizer-cache-dir")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_cache_dir(tmp_path):
    cache = tmp_path / "cache"
    (cache / "shout").mkdir(parents=True)
    cache.chmod(0o500)
    (cache / "shout").chmod(0o500)
    try:
        with pytest.raises(ModelError) as info:
            ModelStore(cache).check_writable("shout")
        _assert_cache_error(info.value, cache / "shout", "Permission denied", "--modelizer-cache-dir")
        with pytest.raises(ModelError) as info:
            atomic_write_bytes(cache / "shout" / "m.npz", b"x")
        _assert_cache_error(info.value, cache / "shout" / "m.npz", "Permission denied")
    finally:
        (cache / "shout").chmod(0o700)
        cache.chmod(0o700)


def test_read_only_file_system(tmp_path, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("pytest_modelizer.store.tempfile.mkstemp", read_only)
    with pytest.raises(ModelError) as info:
        ModelStore(tmp_path / "cache").check_writable("shout")
    _assert_cache_error(info.value, tmp_path / "cache", "Read-only file system", "MODELIZER_CACHE_DIR")
    with pytest.raises(ModelError) as info:
        with ModelStore(tmp_path / "other").lock("shout", "forward"):
            pass
    _assert_cache_error(info.value, tmp_path / "other", "Read-only file system")


def test_disk_full_leaves_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "shout" / "forward-abc.npz"

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("pytest_modelizer.store.os.fsync", disk_full)
    with pytest.raises(ModelError) as info:
        atomic_write_bytes(target, b"x" * 1000)
    _assert_cache_error(info.value, target, "No space left on device", "free some disk space", "--modelizer-cache-dir")
    assert list(target.parent.iterdir()) == []


FILE_SIZE_LIMIT = """
import resource, sys
from pathlib import Path
from pytest_modelizer.store import CacheDirError, atomic_write_bytes
resource.setrlimit(resource.RLIMIT_FSIZE, (65536, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    atomic_write_bytes(Path(sys.argv[1]), b"x" * 1_000_000)
except CacheDirError as exc:
    print(exc)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_file_size_limit(tmp_path):
    target = tmp_path / "m.npz"
    done = subprocess.run([sys.executable, "-c", FILE_SIZE_LIMIT, str(target)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert str(target) in done.stdout and "File too large" in done.stdout and "ulimit -f" in done.stdout
    assert list(tmp_path.iterdir()) == []


def test_pytest_run_with_a_file_as_cache_dir_is_a_usage_error(toy_pytester):
    cache = toy_pytester.path / "cache-file"
    cache.write_text("")
    toy_pytester.makepyfile(
        """
        import pytest

        @pytest.mark.modelize("shout")
        def test_mock(mock_program):
            pass
        """
    )
    result = toy_pytester.runpytest("--modelizer-train", "--modelizer-cache-dir", str(cache))
    output = "\n".join(result.outlines + result.errlines)
    assert "INTERNALERROR" not in output
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert str(cache) in output and "--modelizer-cache-dir" in output


def test_cache_dir_gets_a_cachedir_tag_when_created(tmp_path):
    new = ModelStore(tmp_path / "new" / "cache")
    with new.lock("shout", "forward"):
        pass
    tag = (tmp_path / "new" / "cache" / "CACHEDIR.TAG").read_text()
    assert tag.startswith("Signature: 8a477f597d28d172789f06886806bc55\n# ")
    other = ModelStore(tmp_path / "other")
    other.check_writable("shout")
    assert (tmp_path / "other" / "CACHEDIR.TAG").is_file()
    assert [p.name for p in (tmp_path / "other" / "shout").iterdir()] == []  # the probe is gone
    existing = tmp_path / "mine"
    existing.mkdir()
    ModelStore(existing).check_writable("shout")
    assert not (existing / "CACHEDIR.TAG").exists()  # a directory the user made is not tagged


# --- 3. the pairs cache is keyed on the program -------------------------------------------------

def _compiled(source: str, name: str = "program"):
    namespace: dict = {"__name__": "programs"}
    exec(compile(textwrap.dedent(source), "<programs>", "exec"), namespace)
    return namespace[name]


def test_synthesis_key_changes_with_the_program():
    from pytest_modelizer.data import synthesis_key

    def key(program) -> str:
        return synthesis_key(toy.make_subject(program=program), toy.TRAINING)

    same = key(_compiled("def program(text):\n    return text.upper()\n"))
    assert key(_compiled("\n\ndef program(text):\n    return text.upper()\n")) == same  # moved only
    assert key(_compiled("def program(text):\n    return text.lower()\n")) != same
    nested = "def program(text):\n    return (lambda t: t + {!r})(text)\n"
    assert key(_compiled(nested.format("a"))) != key(_compiled(nested.format("b")))
    assert key(toy.shout) != key(toy.strict_shout)
    # Commands: the executable's name and the arguments, not where it is installed.
    assert key(["/usr/bin/prog", "--a"]) == key(["/opt/bin/prog", "--a"])
    assert key(["prog", "--a"]) != key(["prog", "--b"])
    # The model key is not changed by this: shipped models stay valid.
    program = _compiled("def program(text):\n    return text.lower()\n")
    assert ModelSpec(toy.make_subject(program=program), "forward").key == ModelSpec(toy.make_subject(
        program=_compiled("def program(text):\n    return text\n")), "forward").key


KEY_IN_A_PROCESS = """
import sys
import toy
from pytest_modelizer.data import synthesis_key

def program(text):
    return "vowel" if text in {"a", "e", "i", "o", "u", "y"} else text

print(synthesis_key(toy.make_subject(program=program), toy.TRAINING))
"""


def test_synthesis_key_is_the_same_in_every_process():
    keys = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-c", KEY_IN_A_PROCESS], capture_output=True, text=True, timeout=60,
                              env={**_env(), "PYTHONHASHSEED": seed}, check=True)
        keys.add(done.stdout.strip())
    assert len(keys) == 1


# --- 5. `modelizer train` takes the store's lock ---------------------------------------------------

def _fake_model(path: Path, key: str) -> None:
    meta = {"key": key, "src_vocab": [], "tgt_vocab": [], "model": {}, "parameters": 1, "train_seconds": 0.0,
            "metrics": {"exact_match": 1.0, "n": 1, "bleu": 1.0}}
    save_artifact(ModelArtifact(meta, {}), path)


@pytest.mark.parametrize("force", [False, True], ids=["waits", "force"])
def test_cli_train_waits_for_the_lock_and_keeps_a_model_trained_meanwhile(tmp_path, monkeypatch, capsys, force):
    from filelock import FileLock

    import pytest_modelizer.cli
    from pytest_modelizer.cli import main

    conftest = tmp_path / "quick.py"
    conftest.write_text(toy.conftest_source("toy.QUICK_SUBJECT"))
    cache = tmp_path / "cache"
    key = ModelSpec(toy.QUICK_SUBJECT, "forward").key
    path = cache / "shout" / f"forward-{key}.npz"
    trained = []

    def learn(spec, store, *args, **kwargs):
        trained.append(spec.subject.name)
        _fake_model(path, key)
        return load_artifact(path)

    monkeypatch.setattr(pytest_modelizer.cli, "learn", learn)
    locking = threading.Event()
    take_lock = ModelStore.lock

    def lock(self, *args, **kwargs):
        locking.set()
        return take_lock(self, *args, **kwargs)

    monkeypatch.setattr(ModelStore, "lock", lock)
    (cache / "shout").mkdir(parents=True)
    holder = FileLock(str(cache / "shout" / ".forward.lock"))
    holder.acquire()
    codes: list[int] = []
    argv = ["train", "shout", "--conftest", str(conftest), "--cache-dir", str(cache), *(["--force"] if force else [])]
    thread = threading.Thread(target=lambda: codes.append(main(argv)))
    try:
        thread.start()
        assert locking.wait(30), "modelizer train never took the store's lock"
        time.sleep(0.5)
        assert thread.is_alive() and not trained  # waiting for the lock, not training
        _fake_model(path, key)  # another process trains the model meanwhile
    finally:
        holder.release()
    thread.join(30)
    captured = capsys.readouterr()
    assert codes == [0], captured.err
    assert trained == (["shout"] if force else [])
    if not force:
        assert "while this one waited for the lock" in captured.err and "--force" in captured.err
    assert captured.out.startswith(f"shout forward: key {key}, ")


# --- 6. subjects are validated when declared -------------------------------------------------------

BAD_SUBJECTS = {
    "undefined nonterminal": (dict(grammar={**toy.GRAMMAR, "<item>": ["<w>", "!<word>"]}),
                              "'<word>', which the grammar does not define"),
    "typo": (dict(grammar={**toy.GRAMMAR, "<item>": ["<w>", "!<itme>"]}),
             "'<itme>', which the grammar does not define (did you mean '<item>'?)"),
    "markup as text": (dict(grammar={**toy.GRAMMAR, "<item>": ["<w>", "<b><w></b>"]}),
                       "'<' and '>' are meant as text, write them <lt> and <gt>"),
    "expansion type": (dict(grammar={**toy.GRAMMAR, "<w>": ["cat", 7]}), "holds 7"),
    "expansion options": (dict(grammar={**toy.GRAMMAR, "<w>": ["cat", ("dog", 0.5)]}), "(string, options dict)"),
    "expansions not a list": (dict(grammar={**toy.GRAMMAR, "<w>": "cat"}), "must be a list of expansions"),
    "no expansions": (dict(grammar={**toy.GRAMMAR, "<w>": []}), "has no expansions"),
    "key not a nonterminal": (dict(grammar={**toy.GRAMMAR, "w": ["cat"]}), "key 'w' is not a nonterminal"),
    "grammar not a dict": (dict(grammar=["<start>"]), "grammar must be a dict"),
    "program is a string": (dict(program="shout"), "is a string"),
    "empty argv": (dict(program=[]), "empty argv"),
    "argv item": (dict(program=["prog", 3]), "every item must be a string"),
    "content terminal": (dict(output_tokenizer=toy.LarkTokenizer(toy.OUTPUT_TOKENIZER.terminals, content=("WRD",))),
                         "output tokenizer: content terminals 'WRD' are not defined"),
    "no terminals": (dict(input_tokenizer=toy.LarkTokenizer("%import common.WORD")), "define no terminal"),
}


@pytest.mark.parametrize("change, problem", BAD_SUBJECTS.values(), ids=BAD_SUBJECTS.keys())
def test_registry_rejects_a_wrong_subject(change, problem):
    from pytest_modelizer.registry import SubjectRegistry
    from pytest_modelizer.validate import SubjectError

    subject = toy.make_subject(name="wrong", **change)
    registry = SubjectRegistry.discover([subject, toy.SUBJECT])
    assert registry.get("shout") is toy.SUBJECT and "wrong" in registry.names()  # the others stay usable
    with pytest.raises(SubjectError) as info:
        registry.get("wrong")
    assert isinstance(info.value, ValueError)
    assert "subject 'wrong'" in str(info.value) and problem in str(info.value)


def test_lexers_that_do_not_compile():
    from pytest_modelizer.registry import SubjectRegistry
    from pytest_modelizer.validate import SubjectError, validate_subject

    subject = toy.make_subject(name="wrong", input_tokenizer=toy.LarkTokenizer('WORD: /[a-z/\nSP: " "'))
    SubjectRegistry().add(subject)  # at declaration: no lexer is built (that would load lark at collection)
    with pytest.raises(SubjectError, match=r"subject 'wrong' is not valid:\n  - input tokenizer: its lark "
                                           r"terminals do not compile"):
        validate_subject(subject)


def test_bundled_and_toy_subjects_are_valid_and_cheap_to_check():
    from pytest_modelizer.registry import SubjectRegistry
    from pytest_modelizer.validate import validate_subject

    registry = SubjectRegistry.discover([toy.SUBJECT])
    subjects = [registry.get(name) for name in registry.names()] + [toy.FAILING_SUBJECT, toy.QUICK_SUBJECT]
    assert {"markdown-it", "sqlglot-tsql", "latexify", "pandoc-html", "shout"} <= {s.name for s in subjects}
    for subject in subjects:
        start = time.perf_counter()
        validate_subject(subject, lexers=False)
        assert time.perf_counter() - start < 0.05, subject.name
        validate_subject(subject)


# --- 7. unreadable files ---------------------------------------------------------------------------

def test_model_description_without_a_vocabulary_is_corrupt(tmp_path):
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.store import MODEL_META_KEYS

    path = tmp_path / "forward-abc.npz"
    save_artifact(ModelArtifact({"key": "abc", "model": {}, "tgt_vocab": []}, {}), path)
    with pytest.raises(CorruptModelError) as info:
        load_artifact(path, MODEL_META_KEYS)
    assert str(path) in str(info.value) and "'src_vocab'" in str(info.value) and f"rm {path}" in str(info.value)
    with pytest.raises(CorruptModelError) as info:  # a model built from it: still no KeyError
        MockProgram(ModelSpec(toy.SUBJECT, "forward"), load_artifact(path))
    assert str(path) in str(info.value) and "'src_vocab'" in str(info.value) and "--modelizer-train" in str(info.value)


def test_unreadable_model_message_never_suggests_unsafe_loading(tmp_path):
    contents = [pickle.dumps(object), pickle.dumps({"format": 1}, protocol=4)]
    contents += [random.Random(seed).randbytes(2048) for seed in range(12)]
    for n, (data, suffix) in enumerate((d, s) for d in contents for s in (".npz", ".pt")):
        path = tmp_path / f"m{n}{suffix}"
        path.write_bytes(data)
        with pytest.raises(CorruptModelError) as info:
            load_artifact(path)
        message = str(info.value)
        assert str(path) in message and "\n" not in message
        assert "weights_only" not in message and "arbitrary code" not in message, message


def _pairs_file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "pairs-x.jsonl"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("content, where", [
    (b'{"input": "cat", "output": "cat"}\n{"input": "dog", "outp', ":2 "),
    (b'{"input": "cat", "output": "cat"}\n{"output": "dog"}\n', ":2 "),
    (b'{"input": "cat", "output": "cat"}\n[1, 2]\n', ":2 "),
    (bytes(range(256)) * 4, " "),
], ids=["truncated", "no input", "not an object", "random bytes"])
def test_damaged_pairs_file_names_file_and_line(tmp_path, content, where):
    from pytest_modelizer.data import read_pairs

    path = _pairs_file(tmp_path, content)
    with pytest.raises(ValueError) as info:
        read_pairs(path)
    message = str(info.value)
    assert f"{path}{where}" in message and "re-synthesized" in message


def test_damaged_pairs_file_is_synthesized_again(tmp_path):
    from pytest_modelizer.data import pairs_path, read_pairs, synthesize_pairs

    training = toy.QUICK_TRAINING.replace(pairs=20)
    subject = toy.make_subject(training=training)
    path = pairs_path(subject, training, tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"input": "cat", "output": "cat"}\n{"input": "do')
    logged: list[str] = []
    pairs = synthesize_pairs(subject, training, tmp_path, log=logged.append)
    assert len(pairs) > 1
    assert any(str(path) in line and "re-synthesized" in line for line in logged), logged
    assert read_pairs(path) == pairs


# --- 14. distribution --------------------------------------------------------------------------------

def test_distribution_has_its_license_and_corpora_readme():
    tomllib = pytest.importorskip("tomllib")
    root = toy.TESTS_DIR.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert "setuptools>=77" in project["build-system"]["requires"]
    assert project["project"]["license"] == "MIT" and project["project"]["license-files"] == ["LICENSE"]
    license_text = (root / "LICENSE").read_text()
    assert license_text.startswith("MIT License") and "Copyright (c) 2026 the pytest-modelizer authors" in license_text
    assert "corpora/README.md" in project["tool"]["setuptools"]["package-data"]["pytest_modelizer.subjects"]
    assert (root / "subjects" / "corpora" / "README.md").is_file()


def test_subjects_of_a_later_conftest_are_known_after_an_earlier_case_test(pytester, tmp_path):
    """Collecting a/ (whose case test asks for the registry) must not freeze out b/conftest.py's subjects."""
    pytester.mkdir("a")
    pytester.mkdir("b")
    (pytester.path / "a" / "conftest.py").write_text(toy.conftest_source("toy.SUBJECT"))
    (pytester.path / "b" / "conftest.py").write_text(toy.conftest_source("toy.FAILING_SUBJECT"))
    (pytester.path / "a" / "test_a.py").write_text(
        "import pytest\n\n@pytest.mark.modelize('shout', cases='failure')\ndef test_a(modelizer_case):\n    pass\n")
    (pytester.path / "b" / "test_b.py").write_text(
        "import pytest\n\n@pytest.mark.modelize('strict-shout')\ndef test_b(mock_program):\n    pass\n")
    result = pytester.runpytest(f"--modelizer-cache-dir={tmp_path}", "--modelizer-update-cases")
    output = result.stdout.str()
    assert "unknown subject 'strict-shout'" not in output
    assert "no forward model of subject 'strict-shout'" in output  # known, only not trained here
    assert "modelizer: modelizer:" not in output
