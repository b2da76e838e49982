"""Case files: generated inputs kept as reviewed, committed regression cases (one file per test module)."""
from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from pytest_modelizer.aspect import failure_kind
from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.generate import CaseGenerator, GrammarChecker, Target, reduce_input
from pytest_modelizer.runner import ProgramRunner
from pytest_modelizer.store import atomic_write_text
from pytest_modelizer.tokenizer import TokenizeError

FORMAT = 1
FOLDER = "__modelizer_cases__"


class CaseFileError(ValueError):
    """A case file that cannot be read, or does not hold what a case file holds."""


@dataclass(frozen=True)
class Case:
    """One regression case: an input, the behaviour the real program showed, and where it came from."""

    id: str
    input: str
    expected: Behaviour
    kind: str
    subject: str
    program_version: str
    model_key: str
    source: str  # "inverse" (sampled from the inverse model) or "screened" (grammar-made, model-ranked)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "input": self.input,
            "behaviour": self.expected.to_json(),
            "kind": self.kind,
            "model_key": self.model_key,
            "source": self.source,
        }


@dataclass
class TestCases:
    """The cases of one test function, with the subject and target they were generated for."""

    subject: str
    target: str
    program_version: str
    cases: list[Case] = field(default_factory=list)
    # Ids of cases a reviewer turned down: never run, and their inputs never proposed again (an
    # update is seeded, so a case only deleted comes back when the models propose its input anew).
    dismissed: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = {
            "subject": self.subject,
            "target": self.target,
            "program_version": self.program_version,
            "cases": [c.to_json() for c in sorted(self.cases, key=lambda c: (c.kind, c.id))],
        }
        if self.dismissed:
            data["dismissed"] = sorted(set(self.dismissed))
        return data

    def is_dismissed(self, text: str) -> bool:
        """Whether an input is one a dismissed case had (by the input hash its id ends in, whatever its kind)."""
        return any(_names_input(d, text) for d in self.dismissed)


def case_file_path(module: Path) -> Path:
    """Where the cases of a test module live: `__modelizer_cases__/<module stem>.json` beside it."""
    return module.parent / FOLDER / f"{module.stem}.json"


def case_id(kind: str, text: str) -> str:
    """A readable id that does not change when other cases come and go: kind slug plus input hash."""
    slug = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")[:48].rstrip("-") or "case"
    return f"{slug}-{_input_hash(text)}"


def _input_hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:6]


def _names_input(id_: str, text: str) -> bool:
    """Whether a case id was made for this input (it ends in the input's hash), whatever kind it names."""
    return id_.endswith("-" + _input_hash(text))


def input_edited(case: Case) -> bool:
    """Whether the case's input is not the one it was recorded for (edited or written by hand): a recorded
    case's id ends in its input's hash, so its recorded behaviour says nothing about another input."""
    return not _names_input(case.id, case.input)


def _fail(path: Path, where: str, problem: str) -> CaseFileError:
    return CaseFileError(
        f"case file {path}: {where}{problem}. Regenerate it with `pytest --modelizer-update-cases {path.parent.parent}`"
        f" or restore it from version control."
    )


def read_case_file(path: Path) -> dict[str, TestCases]:
    """Cases by test name (`test_x` or `TestClass::test_x`); errors name the file, the place and the fix."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise _fail(path, "", f"is not UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise _fail(path, f"line {exc.lineno} column {exc.colno}: ", f"not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or data.get("modelizer_cases") != FORMAT:
        raise _fail(path, "", f"is not a modelizer case file of format {FORMAT} (no \"modelizer_cases\": {FORMAT})")
    tests = data.get("tests")
    if not isinstance(tests, dict):
        raise _fail(path, "", "has no \"tests\" object")
    out: dict[str, TestCases] = {}
    for name, entry in tests.items():
        out[name] = _read_test(path, name, entry)
    return out


def _read_test(path: Path, name: str, entry: Any) -> TestCases:
    where = f"test {name!r}: "
    if not isinstance(entry, dict):
        raise _fail(path, where, "is not an object")
    for key in ("subject", "target", "program_version", "cases"):
        if key not in entry:
            raise _fail(path, where, f"misses {key!r}")
    if not isinstance(entry["cases"], list):
        raise _fail(path, where, "\"cases\" is not a list")
    dismissed = entry.get("dismissed", [])
    if not isinstance(dismissed, list) or not all(isinstance(d, str) for d in dismissed):
        raise _fail(path, where, "\"dismissed\" is not a list of case ids")
    test = TestCases(str(entry["subject"]), str(entry["target"]), str(entry["program_version"]),
                     dismissed=list(dismissed))
    seen: set[str] = set()
    for n, raw in enumerate(entry["cases"]):
        here = f"{where}case {n}: "
        if not isinstance(raw, dict):
            raise _fail(path, here, "is not an object")
        missing = [k for k in ("id", "input", "behaviour", "kind") if k not in raw]
        if missing:
            raise _fail(path, here, f"misses {', '.join(map(repr, missing))}")
        behaviour = raw["behaviour"]
        if not isinstance(raw["input"], str) or not isinstance(behaviour, dict) or not (
            isinstance(behaviour.get("output"), str) or isinstance(behaviour.get("failure"), str)
        ):
            raise _fail(path, here, "needs a string \"input\" and a \"behaviour\" with \"output\" or \"failure\"")
        if raw["id"] in seen:
            raise _fail(path, here, f"repeats id {raw['id']!r}")
        seen.add(raw["id"])
        if raw["id"] in test.dismissed:  # dismissed and not yet deleted: an update deletes it
            continue
        test.cases.append(Case(
            id=str(raw["id"]), input=raw["input"], expected=Behaviour.from_json(behaviour), kind=str(raw["kind"]),
            subject=test.subject, program_version=test.program_version,
            model_key=str(raw.get("model_key", "")), source=str(raw.get("source", "")),
        ))
    return test


def write_case_file(path: Path, tests: dict[str, TestCases]) -> None:
    """Write sorted, indented JSON atomically (a killed run leaves the old file)."""
    data = {"modelizer_cases": FORMAT, "tests": {name: tests[name].to_json() for name in sorted(tests)}}
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@dataclass
class CaseReport:
    """What happened to one test's cases in this run, for the terminal summary."""

    used: int = 0
    new: int = 0
    unchanged: int = 0
    changed: list[tuple[str, Behaviour, Behaviour]] = field(default_factory=list)  # id, recorded, now
    dropped: list[str] = field(default_factory=list)  # no longer shows the target (a fix?)
    # Inputs edited by hand: id, the id an update recorded it under ("" in a plain run), behaviour now.
    edited: list[tuple[str, str, Behaviour]] = field(default_factory=list)
    note: str = ""


def pick_cases(found: list, count: int, known_kinds: set[str] = frozenset(),
               shape: Callable[[str], Any] = lambda text: text, known_shapes: set = frozenset()) -> list:
    """Up to `count` found inputs, one per kind in turn (shortest first, new kinds first); within a
    kind, inputs of a new `shape` (the tokens, content abstracted) before another word in a shape
    already picked, or kept (`known_shapes`)."""
    by_kind: dict[str, list] = {}
    for f in sorted(found, key=lambda f: (len(f.input), f.input)):
        if all(f.input != g.input for g in by_kind.get(f.kind, [])):
            by_kind.setdefault(f.kind, []).append(f)
    for kind, queue in by_kind.items():
        seen = set(known_shapes)
        fresh, again = [], []
        for f in queue:
            (again if shape(f.input) in seen else fresh).append(f)
            seen.add(shape(f.input))
        by_kind[kind] = fresh + again
    picked: list = []
    queues = [by_kind[k] for k in sorted(by_kind, key=lambda k: (k in known_kinds, k))]
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(queue.pop(0))
    return picked


def refresh(existing: TestCases | None, rerun: Callable[[str], Behaviour], matches: Callable[[Behaviour], bool],
            kind_of: Callable[[Behaviour], str], report: CaseReport) -> list[Case]:
    """Existing cases re-run on the real program: unchanged ones kept, changed ones updated or dropped.

    A case whose input was edited by hand is recorded anew, under the id of its input: its recorded
    behaviour was another input's, and a later update then checks it as any other.
    """
    kept: list[Case] = []
    # Edited cases last: one edited into another case's input finds that case kept.
    for case in sorted(existing.cases, key=input_edited) if existing else []:
        now = rerun(case.input)
        if input_edited(case):
            twin = next((k for k in kept if k.input == case.input), None)
            if twin is not None:  # edited into another case's input: that case records it already
                report.edited.append((case.id, twin.id, now))
            elif matches(now):
                kind = kind_of(now)
                kept.append(replace(case, id=case_id(kind, case.input), expected=now, kind=kind))
                report.edited.append((case.id, kept[-1].id, now))
            else:
                report.dropped.append(case.id)
            continue
        if now == case.expected:
            report.unchanged += 1
            kept.append(_relabelled(case, kind_of(now)))
            continue
        report.changed.append((case.id, case.expected, now))
        if matches(now):
            kept.append(_relabelled(replace(case, expected=now), kind_of(now)))
        else:
            report.dropped.append(case.id)
    return kept


def _relabelled(case: Case, kind: str) -> Case:
    """`case` under the kind the subject gives its behaviour now (kinds are derived, and their rules change).

    Its id stays, though it names the kind it was made with: a test id that `--deselect`, `--lf`
    and CI history know must not change with a program's message.
    """
    return case if kind == case.kind else replace(case, kind=kind)


# Case tests never train in a plain --modelizer-train run (they read files): updating trains.
UPDATE_AND_TRAIN = "--modelizer-update-cases --modelizer-train"


def update_cases(session, subject, target_text: str, count: int, budget: int, existing: TestCases | None,
                 log: Callable[[str], None] = lambda msg: None, seed: int = 0,
                 nodeid: str | None = None) -> tuple[TestCases, CaseReport]:
    """Re-check a test's existing cases and fill up to `count` with new ones the models propose.

    `nodeid`: the test asking (from a pytest run), named in the fix of a missing-model error.
    """
    target = Target.parse(target_text)
    report = CaseReport()
    previous = existing if existing and existing.target == target_text else None  # another target's: none
    if target.wants_failure:
        forward = session.mock(session.spec(subject, "forward", "failure"), nodeid, UPDATE_AND_TRAIN)
        inverse = session.mock(session.spec(subject, "inverse", "failure"), nodeid, UPDATE_AND_TRAIN)
    else:
        forward, inverse = None, session.mock(session.spec(subject, "inverse"), nodeid, UPDATE_AND_TRAIN)
    version = subject.resolved_program_version()
    with ProgramRunner(subject) as runner:
        def rerun(text: str) -> Behaviour:
            return runner.run(text).behaviour

        kept = refresh(previous, rerun, lambda b: target.matches(subject, b), lambda b: failure_kind(subject, b), report)
        missing = count - len(kept)
        if missing > 0:
            log(f"proposing cases for {subject.name} (target {target}, budget {budget} runs)")
            generator = CaseGenerator(subject, forward, inverse, seed=seed, log=log)
            generation = generator.generate(target, budget, runner)
            have = {c.input for c in kept}
            turned_down = previous.is_dismissed if previous else lambda text: False
            fresh = [f for f in generation.found if f.input not in have and not turned_down(f.input)]
            checker = GrammarChecker(subject)
            # New kinds first: a case file is most useful when each case shows something else.
            # Reduced inputs may coincide ("! cat" and "! dog" both become "!"): try a few more.
            shape = functools.partial(_shape, subject)
            for found in pick_cases(fresh, 3 * missing, {c.kind for c in kept}, shape, {shape(c.input) for c in kept}):
                if report.new >= missing:
                    break

                def same(text: str, kind: str = found.kind) -> bool:
                    now = rerun(text)
                    return target.matches(subject, now) and failure_kind(subject, now) == kind

                text, _ = reduce_input(subject, found.input, same, checker) if target.wants_failure else (found.input, 0)
                behaviour = rerun(text) if text != found.input else found.behaviour
                if text in have or turned_down(text):
                    continue
                have.add(text)
                kept.append(Case(case_id(found.kind, text), text, behaviour, failure_kind(subject, behaviour),
                                 subject.name, version, inverse.artifact.key if found.source == "inverse"
                                 else (forward or inverse).artifact.key, found.source))
                report.new += 1
    return TestCases(subject.name, target_text, version, kept, previous.dismissed if previous else []), report


def _shape(subject, text: str) -> tuple:
    """An input's tokens with its content abstracted (`at GET` and `at user` alike), else its text."""
    try:
        return subject.input_tokenizer.tokenize(text).tokens
    except TokenizeError:  # an input the tokenizer cannot lex is a shape of its own
        return (text,)


@dataclass(frozen=True)
class CaseProblem:
    """Why a test has no usable cases; the `modelizer_case` fixture turns it into the test's error."""

    message: str


@dataclass
class CaseBook:
    """The run's case files: read once, updated on request, and what each test did with its cases."""

    update: bool = False
    files: dict[Path, Any] = field(default_factory=dict)  # path -> {test: TestCases} or CaseFileError
    collected: dict[Path, set[str]] = field(default_factory=dict)  # test names per case file
    reports: dict[str, CaseReport] = field(default_factory=dict)  # by "module path::test"
    removed: dict[Path, list[str]] = field(default_factory=dict)  # unused entries an update dropped
    problems: dict[str, str] = field(default_factory=dict)  # why an update made no cases, by test node id
    # On the pytest-xdist controller, which collects nothing: unused entries the workers found.
    reported_unused: dict[Path, list[str]] = field(default_factory=dict)
    kept_unused: set[Path] = field(default_factory=set)  # files whose update failed somewhere: remove nothing

    def tests(self, path: Path) -> dict[str, TestCases]:
        """The file's tests (empty when it does not exist); raises CaseFileError when it is unreadable."""
        if path not in self.files:
            try:
                self.files[path] = read_case_file(path) if path.is_file() else {}
            except CaseFileError as exc:
                self.files[path] = exc
        value = self.files[path]
        if isinstance(value, CaseFileError):
            raise value
        return value

    def report(self, nodeid: str) -> CaseReport:
        """The report of a test function (by its node id without parameters)."""
        return self.reports.setdefault(nodeid, CaseReport())

    def store(self, path: Path, test: str, cases: TestCases) -> dict[str, TestCases]:
        """Record a test's cases and write the file now (atomically), so a killed run keeps what is done.

        An unreadable file is replaced: its other entries are lost with it (they were unusable).
        """
        tests = self.tests(path) if not isinstance(self.files.get(path), CaseFileError) else {}
        tests[test] = cases
        self.files[path] = tests
        write_case_file(path, tests)
        return tests

    def unused(self) -> dict[Path, list[str]]:
        """Entries of read case files whose test no longer exists in the collected module."""
        out = {path: list(names) for path, names in self.reported_unused.items()}
        for path, names in self.collected.items():
            value = self.files.get(path)
            if isinstance(value, dict):
                stale = sorted(set(value) - names)
                if stale:
                    out[path] = stale
        return out

    def renamed_from(self, path: Path, test: str, subject: str, target: str,
                     log: Callable[[str], None] = lambda msg: None) -> TestCases | None:
        """The cases of the one unused entry of `path` made for `subject` and `target`: a renamed test's.

        A test renamed in its module would otherwise get new cases while the reviewed ones went as
        unused. Where several unused entries fit, none is taken (which one was renamed is a guess).
        """
        fits = [name for name in self.unused().get(path, [])
                if (entry := self.tests(path).get(name)) is not None and (entry.subject, entry.target) == (subject, target)]
        if len(fits) != 1:
            return None
        log(f"no cases under {test!r}; taking those of the unused entry {fits[0]!r} (the test renamed?)")
        return self.tests(path)[fits[0]]

    def remove_unused(self) -> dict[Path, list[str]]:
        """Drop unused entries (only asked for with --modelizer-update-cases); returns what went.

        Not from a file where a test's update failed: they may hold what that test could not remake.
        """
        removed = {path: names for path, names in self.unused().items() if path not in self.kept_unused}
        for path, names in removed.items():
            tests = self.files[path]
            for name in names:
                del tests[name]
            write_case_file(path, tests)
        return removed

    def merge_unused(self, data: dict[str, list[str]]) -> None:
        """Add a worker's unused entries (every worker collects the same modules)."""
        for path, names in data.items():
            known = self.reported_unused.setdefault(Path(path), [])
            known += [n for n in names if n not in known]
            known.sort()

    def reports_json(self) -> dict[str, dict]:
        """Reports as JSON (a pytest-xdist worker hands them to the controller)."""
        return {key: {"used": r.used, "new": r.new, "unchanged": r.unchanged, "dropped": r.dropped,
                      "changed": [[i, a.to_json(), b.to_json()] for i, a, b in r.changed],
                      "edited": [[i, j, b.to_json()] for i, j, b in r.edited]}
                for key, r in self.reports.items()}

    def merge_reports(self, data: dict[str, dict]) -> None:
        """Add a worker's reports: counts add up, changes and drops are concatenated."""
        for key, entry in data.items():
            report = self.report(key)
            report.used += entry["used"]
            report.new += entry["new"]
            report.unchanged += entry["unchanged"]
            report.dropped += entry["dropped"]
            report.changed += [(i, Behaviour.from_json(a), Behaviour.from_json(b)) for i, a, b in entry["changed"]]
            report.edited += [(i, j, Behaviour.from_json(b)) for i, j, b in entry.get("edited", [])]

    def summary_lines(self) -> list[str]:
        """Per test: cases used, new, unchanged, changed (both behaviours), edited by hand; then unused entries."""
        lines = []
        for key in sorted(self.reports):
            r = self.reports[key]
            if not (r.used or r.new or r.unchanged or r.changed or r.dropped or r.edited):
                continue  # collected and not run (--collect-only, deselected): nothing to say
            counts = f"{r.used} used, {r.new} new, {r.unchanged} unchanged, {len(r.changed)} changed behaviour"
            if r.edited:
                counts += f", {len(r.edited)} edited by hand"
            if r.dropped:
                counts += f", {len(r.dropped)} dropped (no longer show the target)"
            lines.append(f"{key}: {counts}")
            for case_id_, before, now in r.changed:
                lines.append(f"  changed {case_id_}: recorded {before}, now {now}")
            for case_id_, recorded_as, now in r.edited:
                lines.append(f"  edited {case_id_}: recorded {now} as {recorded_as}" if recorded_as else
                             f"  edited {case_id_}: its input is not the one its behaviour was recorded for (now "
                             f"{now}); record it with `pytest --modelizer-update-cases {key}`")
        for path, names in sorted(self.removed.items()):
            lines.append(f"removed unused entries from {path}: {', '.join(names)}")
        for path, names in sorted(self.unused().items()):
            if not self.update:
                lines.append(f"unused entries in {path}: {', '.join(names)} (remove with --modelizer-update-cases)")
            elif path in self.kept_unused:
                lines.append(f"unused entries in {path} kept, since an update of that file failed: {', '.join(names)}")
        return lines
