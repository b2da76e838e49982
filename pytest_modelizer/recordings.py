"""Recordings: the real program's answers, kept as reviewable JSON lines and replayed exactly.

One file per subject, `<recordings dir>/<subject>.jsonl`, one object per line (`input`, then
`output` or `failure` and `message`, `program_version` and, for a Python callable, `program_source`,
a hash of its source), sorted by input, one line per
input. Commit it like a snapshot. New answers are kept in memory and merged into the file at
the end of the run under a lock, re-reading it first, so pytest-xdist workers that record at
the same time lose nothing; the file is replaced atomically.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.store import atomic_write_text

DEFAULT_DIR = "__modelizer_recordings__"


class RecordingFileError(Exception):
    """A recording file that cannot be read; the message names the file, the line and the fix.

    Raised at the setup of the tests that use the subject, never inside a call: not a ValueError,
    which an application's handler would take for the program's failure."""


_UNTIL_FIXED = ("until then, no recording of this subject is replayed or written (a run with --modelizer-mode "
                "record then records the calls again)")


@dataclass(frozen=True)
class Recording:
    input: str
    behaviour: Behaviour
    program_version: str
    # A Python callable's source hash (`Subject.source_fingerprint`): an edited function is another program.
    program_source: str | None = None

    def to_json(self) -> dict:
        source = {"program_source": self.program_source} if self.program_source else {}
        return {"input": self.input, **self.behaviour.to_json(), "program_version": self.program_version, **source}

    def made_by(self, program_version: str, program_source: str | None) -> bool:
        """Whether this program made it: the declared version, and the callable's source where both are known."""
        return self.program_version == program_version and (
            self.program_source is None or program_source is None or self.program_source == program_source)


def read_recordings(path: Path) -> dict[str, Recording]:
    """The recordings in `path` by input (empty when there is no file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordingFileError(f"recording file {path} is unreadable ({exc}). Fix or delete it; {_UNTIL_FIXED}") from None
    found: dict[str, Recording] = {}
    for n, line in enumerate(text.split("\n"), 1):  # not splitlines: U+2028 may be inside a string
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict) or not isinstance(data.get("input"), str):
                raise ValueError("expected an object with a string 'input'")
            if "failure" not in data and not isinstance(data.get("output"), str):
                raise ValueError("expected 'output' (a string) or 'failure'")
            recording = Recording(data["input"], Behaviour.from_json(data), str(data.get("program_version", "")),
                                  data.get("program_source") or None)
        except ValueError as exc:
            raise RecordingFileError(
                f"{path}:{n}: corrupt recording ({exc}): {line[:80]!r}. Fix or delete that line (or the file); "
                f"{_UNTIL_FIXED}"
            ) from None
        found[recording.input] = recording
    return found


def write_recordings(path: Path, recordings: dict[str, Recording]) -> None:
    lines = [json.dumps(recordings[k].to_json(), ensure_ascii=False) for k in sorted(recordings)]
    atomic_write_text(path, "".join(line + "\n" for line in lines))


@dataclass
class RecordingBook:
    """The recordings of one run: read once per subject, new ones merged into the files at the end."""

    directory: Path
    lock_dir: Path  # the model cache: no lock file lands beside the committed recordings
    lock_timeout: float = 60.0
    _read: dict[str, dict[str, Recording]] = field(default_factory=dict)
    _new: dict[str, dict[str, Recording]] = field(default_factory=dict)

    def path(self, subject: str) -> Path:
        return self.directory / f"{subject}.jsonl"

    def load(self, subject: str) -> dict[str, Recording]:
        """The subject's recorded answers, read once (RecordingFileError for a corrupt file)."""
        if subject not in self._read:
            self._read[subject] = read_recordings(self.path(subject))
        return self._read[subject]

    def get(self, subject: str, text: str) -> Recording | None:
        """A recording from the files as the run found them: one made in this run serves the runs after
        it, so that what a test gets does not depend on which tests ran before it, nor on the
        pytest-xdist worker that ran it."""
        return self.load(subject).get(text)

    def add(self, subject: str, recording: Recording) -> None:
        self._new.setdefault(subject, {})[recording.input] = recording

    @property
    def pending(self) -> int:
        return sum(len(new) for new in self._new.values())

    def flush(self) -> list[Path]:
        """Merge new recordings into their files (under a lock, re-reading first); the files written."""
        from filelock import FileLock

        written = []
        for subject, new in sorted(self._new.items()):
            if not new:
                continue
            path = self.path(subject)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.lock_dir.mkdir(parents=True, exist_ok=True)
            with FileLock(str(self.lock_dir / f".recordings-{subject}.lock"), timeout=self.lock_timeout):
                merged = {**read_recordings(path), **new}
                write_recordings(path, merged)
            self._read[subject] = merged
            written.append(path)
        self._new.clear()
        return written
