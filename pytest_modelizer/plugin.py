"""pytest hooks and fixtures of pytest-modelizer (kept thin: the work lives in other modules)."""
from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pytest

from pytest_modelizer import __version__
from pytest_modelizer.binary import StandIn, check_subject, merge_calls, summary_lines
from pytest_modelizer.cases import CaseBook, CaseFileError, CaseProblem, case_file_path, input_edited, update_cases
from pytest_modelizer.errors import did_you_mean
from pytest_modelizer.isolation import preserved_global_state
from pytest_modelizer.marker import MARKER_HELP, MarkerError, ModelizeSpec, parse_marker
from pytest_modelizer.recordings import DEFAULT_DIR as RECORDINGS_DIR, RecordingBook, RecordingFileError
from pytest_modelizer.registry import SubjectRegistry, UnknownSubjectError
from pytest_modelizer.runner import ProgramRunner
from pytest_modelizer.samples import SamplesError
from pytest_modelizer.serve import ServedProgram
from pytest_modelizer.session import ModelizerSession
from pytest_modelizer.store import ModelError, ModelStore
from pytest_modelizer.training_stack import MissingExtraError, require
from pytest_modelizer.validate import SubjectError

if TYPE_CHECKING:
    from pytest_modelizer.subject import Subject

STATE = pytest.StashKey[ModelizerSession]()
CASES = pytest.StashKey[CaseBook]()
CASE = pytest.StashKey[object]()
SPEC = pytest.StashKey[ModelizeSpec]()
ERROR = pytest.StashKey[str]()
DEFAULT_CACHE_DIR = ".modelizer"
SERVED = pytest.StashKey[list]()
# (on_uncertain from the command line, from the ini file, min_exact from the ini file)
DEFAULTS = pytest.StashKey[tuple]()
# Calls through `binary=` stand-ins: {"SUBJECT (forward)": {NAME: {"served": n, "other": m}}}
BINARY_CALLS = pytest.StashKey[dict]()
STAND_IN = pytest.StashKey[object]()  # the test's binary.StandIn


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options in one group; each CLI flag beats its ini key."""
    group = parser.getgroup("modelizer", "learned models of programs (pytest-modelizer)")
    group.addoption("--modelizer-train", action="store_true", default=None,
                    help="train missing or stale models the selected tests need before running them")
    group.addoption("--modelizer-update-cases", action="store_true", default=False,
                    help="(re)generate the case files of the selected tests with cases=... (runs the real program)")
    group.addoption("--modelizer-cache-dir", default=None, metavar="DIR",
                    help=f"where models are cached (default: ini modelizer_cache_dir or <rootdir>/{DEFAULT_CACHE_DIR})")
    group.addoption("--modelizer-device", default=None, metavar="DEVICE",
                    help="torch device for training and inference: cpu (default) or cuda")
    group.addoption("--modelizer-lock-timeout", default=None, type=float, metavar="SECONDS",
                    help="how long to wait for another process training the same model (default 1800)")
    group.addoption("--modelizer-mode", default=None, choices=("mock", "record", "verify", "real"),
                    help="mock: recordings, then the model (default); record: the real program answers and is "
                         "recorded; verify: model and program both answer, disagreements fail; real: the program only")
    group.addoption("--modelizer-on-uncertain", default=None, choices=("real", "error", "accept"),
                    help="what answers an input the model is unsure of (beats the marker's and the ini's setting; "
                         "default: real where the program is installed, error where it is absent)")
    group.addoption("--modelizer-accept-drift", action="store_true", default=None,
                    help="replay models although the installed program's version differs from the declared one")
    group.addoption("--modelizer-recordings-dir", default=None, metavar="DIR",
                    help=f"where recordings live (default: <rootdir>/{RECORDINGS_DIR})")
    parser.addini("modelizer_mode", "default for --modelizer-mode", default="mock")
    parser.addini("modelizer_on_uncertain", "default on_uncertain: real, error or accept", default=None)
    parser.addini("modelizer_accept_drift", "default for --modelizer-accept-drift", type="bool", default=False)
    parser.addini("modelizer_recordings_dir", "default for --modelizer-recordings-dir", default=None)
    parser.addini("modelizer_min_exact", "held-out exact match below which a model is refused", default="0.5")
    parser.addini("modelizer_cache_dir", "default for --modelizer-cache-dir", default=None)
    parser.addini("modelizer_device", "default for --modelizer-device", default="cpu")
    parser.addini("modelizer_lock_timeout", "default for --modelizer-lock-timeout", default="1800")
    parser.addini("modelizer_train", "default for --modelizer-train", type="bool", default=False)


def _setting(config: pytest.Config, option: str, ini: str):
    value = config.getoption(option)
    return value if value is not None else config.getini(ini)


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker and create the session state (nothing heavy is imported here)."""
    config.addinivalue_line("markers", MARKER_HELP)
    cache_dir = _setting(config, "modelizer_cache_dir", "modelizer_cache_dir") or os.environ.get("MODELIZER_CACHE_DIR")
    path = Path(cache_dir) if cache_dir else config.rootpath / DEFAULT_CACHE_DIR
    if not path.is_absolute():
        path = config.rootpath / path
    device = str(_setting(config, "modelizer_device", "modelizer_device") or "cpu")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise pytest.UsageError(f"--modelizer-device={device!r} is not valid; use cpu, cuda or cuda:N")
    timeout = float(_setting(config, "modelizer_lock_timeout", "modelizer_lock_timeout"))
    update = bool(config.getoption("modelizer_update_cases"))
    if update and (getattr(config.option, "numprocesses", None) or hasattr(config, "workerinput")):
        raise pytest.UsageError("--modelizer-update-cases writes case files: run it without pytest-xdist's -n")
    train = bool(_setting(config, "modelizer_train", "modelizer_train"))
    _require_training_stack([flag for flag, on in (("--modelizer-train", train), ("--modelizer-update-cases", update)) if on])
    mode = str(_setting(config, "modelizer_mode", "modelizer_mode") or "mock")
    if mode not in ("mock", "record", "verify", "real"):
        raise pytest.UsageError(f"ini modelizer_mode = {mode!r} is not valid; use mock, record, verify or real")
    on_uncertain = config.getini("modelizer_on_uncertain")
    if on_uncertain and on_uncertain not in ("real", "error", "accept"):
        raise pytest.UsageError(f"ini modelizer_on_uncertain = {on_uncertain!r} is not valid; use real, error or accept")
    try:
        min_exact = float(config.getini("modelizer_min_exact"))
    except ValueError:
        raise pytest.UsageError(f"ini modelizer_min_exact = {config.getini('modelizer_min_exact')!r} is not a number") from None
    recordings = _setting(config, "modelizer_recordings_dir", "modelizer_recordings_dir") or RECORDINGS_DIR
    recordings_path = Path(recordings) if Path(recordings).is_absolute() else config.rootpath / recordings
    config.stash[CASES] = CaseBook(update=update)
    config.stash[STATE] = ModelizerSession(
        registry=None,  # discovered at collection, once conftest files have declared theirs
        store=ModelStore(path, lock_timeout=timeout),
        device=device,
        train=train,
        mode=mode,
        accept_drift=bool(_setting(config, "modelizer_accept_drift", "modelizer_accept_drift")),
        recordings=RecordingBook(recordings_path, path, lock_timeout=timeout),
    )
    config.stash[DEFAULTS] = (config.getoption("modelizer_on_uncertain"), on_uncertain or None, min_exact)


def _require_training_stack(flags: list[str]) -> None:
    """A usage error naming the `train` extra where a flag needs what a plain install lacks."""
    if flags:
        try:
            require(" and ".join(flags))
        except MissingExtraError as exc:
            raise pytest.UsageError(str(exc)) from None


def pytest_report_header(config: pytest.Config) -> str:
    """One line: version, cache dir, device."""
    state = config.stash[STATE]
    train = ", training enabled" if state.train else ""
    mode = f", mode: {state.mode}" if state.mode != "mock" else ""
    return f"modelizer: {__version__}, cache: {state.store.cache_dir}, device: {state.device}{mode}{train}"


def _prefixed(message: str) -> str:
    return message if message.startswith("modelizer:") else f"modelizer: {message}"


def _registry(config: pytest.Config) -> SubjectRegistry:
    """The subjects declared so far; asked again once more conftest files have loaded during collection."""
    state = config.stash[STATE]
    plugins = len(config.pluginmanager.get_plugins())
    if state.registry is None or state.registry_plugins != plugins:
        state.registry_plugins = plugins
        declared = [s for group in config.hook.pytest_modelizer_subjects(config=config) for s in (group or [])]
        state.registry = SubjectRegistry.discover(declared)  # an invalid subject errors the tests that use it
    return state.registry


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `modelizer_case` from the module's case file (or generate it, when updating)."""
    if "modelizer_case" not in metafunc.fixturenames:
        return
    mark = metafunc.definition.get_closest_marker("modelize")
    book = metafunc.config.stash[CASES]
    test = metafunc.definition.nodeid.split("::", 1)[1]
    path = case_file_path(metafunc.definition.path)
    book.collected.setdefault(path, set()).add(test)
    try:
        spec = parse_marker(mark.args, mark.kwargs) if mark else None
        if spec is None or spec.cases is None:
            raise MarkerError("modelizer_case needs cases: mark the test @pytest.mark.modelize('SUBJECT', cases='failure')")
        params = _case_params(metafunc, spec, book, path, test)
    except (MarkerError, UnknownSubjectError, SubjectError, CaseFileError, ModelError) as exc:
        params = [pytest.param(CaseProblem(_prefixed(str(exc))), id="modelizer-error")]
    metafunc.parametrize("modelizer_case", params, indirect=True)


def _case_params(metafunc: pytest.Metafunc, spec: ModelizeSpec, book: CaseBook, path: Path, test: str) -> list:
    """The test's cases as parameters, read from its case file.

    With --modelizer-update-cases, a test without usable cases gets one pending parameter: cases
    are generated after -k and -m have selected the tests (`_update_selected_cases`), and the
    selected tests are then parametrized again.
    """
    nodeid = metafunc.definition.nodeid
    if nodeid in book.problems:
        raise CaseFileError(book.problems[nodeid])
    try:
        tests = book.tests(path)
    except CaseFileError:
        if not book.update:
            raise
        tests = {}  # an unreadable file is what the update replaces
    entry = tests.get(test)
    usable = entry is not None and entry.subject == spec.subject and entry.target == spec.cases and entry.cases
    if book.update and not usable:
        pending = f"modelizer: the cases of {nodeid} are generated when --modelizer-update-cases selects it"
        return [pytest.param(CaseProblem(pending), id="modelizer-pending")]
    if entry is None:
        raise CaseFileError(
            f"no cases for {nodeid} in {path}. Create them with `pytest --modelizer-update-cases {nodeid}` "
            f"(needs the failure models of {spec.subject!r}; add --modelizer-train to train them)"
        )
    if entry.subject != spec.subject or entry.target != spec.cases:
        raise CaseFileError(
            f"the cases of {nodeid} in {path} were made for subject {entry.subject!r}, target {entry.target!r}; "
            f"the marker asks for {spec.subject!r}, {spec.cases!r}. Regenerate: pytest --modelizer-update-cases {nodeid}"
        )
    if not entry.cases:
        raise CaseFileError(f"{path} holds no cases for {nodeid} (generation found none that the real program confirmed)."
                            f" Raise budget= in the marker and rerun pytest --modelizer-update-cases {nodeid}")
    book.report(nodeid)
    return [pytest.param(case, id=case.id) for case in entry.cases]


def _case_needs(state, spec: ModelizeSpec, subject: Subject) -> list:
    """The models that generating the cases of a `cases=` test needs."""
    if spec.cases.startswith("failure"):
        return [state.spec(subject, "forward", "failure"), state.spec(subject, "inverse", "failure")]
    return [state.spec(subject, "inverse")]


def _update_selected_cases(config: pytest.Config, items: list[pytest.Item], write) -> None:
    """Generate the cases of the selected `cases=` tests, write their case files, parametrize them again.

    Runs after -k and -m have deselected tests, so only the selected tests' cases change. A test
    some of whose parametrized items are selected counts as selected: its cases are generated
    anew, and all of them run.
    """
    state, book, registry = config.stash[STATE], config.stash[CASES], _registry(config)
    functions: dict[str, list[pytest.Item]] = {}
    for item in items:
        if SPEC in item.stash and item.stash[SPEC].cases is not None and isinstance(item, pytest.Function):
            functions.setdefault(f"{item.parent.nodeid}::{item.originalname}", []).append(item)
    for nodeid, old in functions.items():
        first = old[0]
        spec, path, test = first.stash[SPEC], case_file_path(first.path), nodeid.split("::", 1)[1]
        try:
            try:
                existing = book.tests(path).get(test)
            except CaseFileError:
                existing = None
            if existing is None:
                existing = book.renamed_from(path, test, spec.subject, spec.cases, log=lambda msg: write(
                    f"\nmodelizer: {nodeid}: {msg}"))
            with preserved_global_state():
                cases, report = update_cases(state, registry.get(spec.subject), spec.cases, spec.count, spec.budget,
                                             existing, log=lambda msg: write(f"\nmodelizer: {nodeid}: {msg}"),
                                             nodeid=nodeid)
            write("\n")
            book.store(path, test, cases)
            book.reports[nodeid] = report
        except (CaseFileError, ModelError, UnknownSubjectError, SubjectError, OSError) as exc:
            book.problems[nodeid] = _prefixed(str(exc))
            book.kept_unused.add(path)  # what it could not remake may be in them (a renamed test's cases)
        renewed = _parametrize_again(first)
        at = items.index(first)
        items[:] = [i for i in items[:at] if i not in old] + renewed + [i for i in items[at:] if i not in old]
        for item in renewed:
            item.stash[SPEC] = spec


def _parametrize_again(item: pytest.Function) -> list[pytest.Item]:
    """The items of `item`'s test function, parametrized anew (from the case file as it is now)."""
    parent = item.parent
    function = getattr(parent.obj, item.originalname)
    return list(parent._genfunctions(item.originalname, function))  # type: ignore[union-attr]


@pytest.hookimpl(trylast=True)  # after -k / -m deselection: train for the selected tests only
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Validate markers; with --modelizer-train, train what the selected tests need."""
    state = config.stash[STATE]
    registry = _registry(config)
    needs = []
    for item in items:
        mark = item.get_closest_marker("modelize")
        if mark is None:
            continue
        try:
            spec = parse_marker(mark.args, mark.kwargs)
            subject = registry.get(spec.subject)
        except (MarkerError, UnknownSubjectError, SubjectError) as exc:
            item.stash[ERROR] = str(exc)  # reported when the test runs, by _modelizer_marker
            continue
        if spec.binary is not None:
            try:
                check_subject(spec, subject)
            except MarkerError as exc:
                item.stash[ERROR] = str(exc)
                continue
        item.stash[SPEC] = spec
        if spec.cases is not None and config.stash[CASES].update and state.train:
            needs.extend(n for n in _case_needs(state, spec, subject) if n not in needs)
        if spec.cases is not None or state.mode == "real":  # case tests read their case file, never a model
            continue
        need = state.spec(subject, spec.direction, spec.aspect)
        if need not in needs:
            needs.append(need)
    if config.option.collectonly:  # trains nothing and writes no case file
        if config.stash[CASES].update or (state.train and needs):
            config.get_terminal_writer().line("modelizer: --collect-only: nothing is trained and no case file written")
        return
    write = _progress_writer(config)
    if state.train and needs:
        try:
            state.ensure_trained(needs, write)
        except ModelError as exc:
            raise pytest.UsageError(str(exc)) from None
        except ValueError as exc:  # GrammarError, too few usable pairs, ...: the subject needs fixing
            raise pytest.UsageError(f"modelizer: training failed: {exc}") from None
    if config.stash[CASES].update:
        _update_selected_cases(config, items, write)


def _progress_writer(config: pytest.Config) -> Callable[[str], None]:
    """Where training says what it does: the terminal, or on a pytest-xdist worker its stderr.

    A worker's terminal output is dropped by pytest-xdist, but its stderr is the controller's: its
    lines go there, each marked with the worker's id, so a long training is not silence.
    """
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker is None:
        writer = config.get_terminal_writer()
        return lambda text: (writer.write(text), writer.flush())
    at_line_start = True

    def write(text: str) -> None:
        nonlocal at_line_start
        lines = text.split("\n")
        out = []
        for n, line in enumerate(lines):
            if line and at_line_start:
                out.append(f"[{worker}] ")
            out.append(line)
            if n < len(lines) - 1:
                out.append("\n")
                at_line_start = True
            elif line:
                at_line_start = False
        sys.stderr.write("".join(out))
        sys.stderr.flush()
    return write


def _spec(request: pytest.FixtureRequest) -> ModelizeSpec:
    spec = request.node.stash.get(SPEC, None)
    if spec is None:
        pytest.fail(
            f"modelizer: {request.fixturename} needs a subject: mark the test with @pytest.mark.modelize('SUBJECT')",
            pytrace=False,
        )
    return spec


@pytest.fixture
def mock_program(request: pytest.FixtureRequest):
    """The marked subject's program as the run's mode serves it: by default recordings, then the model."""
    spec = _spec(request)
    try:
        served = _served(request, spec)  # the model key reads the subject's samples
        served.check_ready()
        mock = served.mock if served.mode in ("mock", "verify") else None
    except (ModelError, RecordingFileError, SamplesError) as exc:
        error = _prefixed(str(exc))
    else:
        if mock is not None:
            _prefetch(request, mock, spec)
        return served
    pytest.fail(error, pytrace=False)  # outside `except`: no chained traceback in the report


def _served(request: pytest.FixtureRequest, spec: ModelizeSpec):
    """The test's ServedProgram (one per test, shared by mock_program and patch=)."""
    served = request.node.stash.setdefault(SERVED, [])
    if served:
        return served[0]
    state = request.config.stash[STATE]
    flag, ini, min_exact = request.config.stash[DEFAULTS]
    model = state.spec(_registry(request.config).get(spec.subject), spec.direction, spec.aspect)
    program = ServedProgram(state, model, state.mode, flag or spec.on_uncertain or ini,
                            request.node.nodeid, spec.min_exact if spec.min_exact is not None else min_exact)
    served.append(program)
    return program


PREFETCHED = pytest.StashKey[set]()


def _prefetch(request: pytest.FixtureRequest, mock, spec: ModelizeSpec) -> None:
    """Predict the string parameters of all parametrized items of this test function in one batch.

    A parametrized test calls the mock once per item; decoding those inputs together on the
    first item turns N single decodes into one batched decode, and later items hit the memo.
    Inputs the test never passes to the mock cost a share of one batch, nothing more.
    """
    function = getattr(request.node, "originalname", None)
    if function is None or getattr(request.node, "callspec", None) is None:
        return
    done = request.config.stash.setdefault(PREFETCHED, set())
    key = (request.node.module.__name__ if request.node.module else "", request.node.cls, function, spec)
    if key in done:
        return
    done.add(key)
    texts = []
    for item in request.session.items:
        if (getattr(item, "originalname", None) != function or getattr(item, "cls", None) is not request.node.cls
                or getattr(item, "module", None) is not request.node.module or item.stash.get(SPEC, None) != spec
                or "mock_program" not in getattr(item, "fixturenames", ())):
            continue
        for value in getattr(getattr(item, "callspec", None), "params", {}).values():
            value = getattr(value, "input", value)  # a modelizer_case parameter: its input
            if isinstance(value, str) and value not in texts:
                texts.append(value)
    if len(texts) > 1:
        mock.predict_batch(texts, count=False)  # prefetching is not calls: the summary counts what tests asked


@pytest.fixture
def real_program(request: pytest.FixtureRequest):
    """Runs the marked subject's real program (worker process, hard timeout); returns a Behaviour."""
    spec = _spec(request)
    subject = _registry(request.config).get(spec.subject)
    status = request.config.stash[STATE].program_status(subject)
    if status.absent:  # every run would be a failure to start, and a case's check a false regression
        pytest.skip(f"modelizer: this test runs the real program of {subject.name!r} (real_program), which is not "
                    f"installed here ({status.declared} is declared)")
    if spec.binary is not None:  # a program run by name must not find the test's stand-in first
        request.getfixturevalue("modelizer_binary")
        subject = request.node.stash[STAND_IN].unshadowed(subject)
    runner = ProgramRunner(subject, workers=1)

    def run(text: str):
        behaviour = runner.run(text).behaviour
        case = request.node.stash.get(CASE, None)
        book = request.config.stash[CASES]
        if case is not None and text == case.input and not book.update:  # an update counted them already
            report = book.report(request.node.nodeid.split("[", 1)[0])
            if behaviour == case.expected:
                report.unchanged += 1
            elif input_edited(case):  # not a change of the program: the recorded behaviour is another input's
                report.edited.append((case.id, "", behaviour))
            else:  # the test will likely fail on its own assert; the summary shows both behaviours too
                report.changed.append((case.id, case.expected, behaviour))
        return behaviour

    yield run
    runner.close()


@pytest.fixture
def modelizer_case(request: pytest.FixtureRequest):
    """One committed regression case of the marked test: `.input`, `.expected` (a Behaviour), `.kind`, provenance."""
    value = getattr(request, "param", None)
    if value is None:
        pytest.fail("modelizer: modelizer_case needs @pytest.mark.modelize('SUBJECT', cases='failure')", pytrace=False)
    if isinstance(value, CaseProblem):
        pytest.fail(value.message, pytrace=False)
    request.node.stash[CASE] = value
    request.config.stash[CASES].report(request.node.nodeid.split("[", 1)[0]).used += 1
    return value


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """A failed test whose `binary=` stand-in refused calls reports why: the application saw only an exit status."""
    report = yield
    stand_in = item.stash.get(STAND_IN, None)
    if report.when == "call" and report.failed and stand_in is not None:
        section = stand_in.refusals_section()
        if section is not None:
            report.sections.append(section)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Fail a test whose `binary=` stand-in refused calls, and in verify mode one whose served calls
    the model and the program answered differently."""
    result = yield
    stand_in = item.stash.get(STAND_IN, None)
    bypassed = stand_in.bypassed() if stand_in is not None else None
    if bypassed:
        warnings.warn(pytest.PytestWarning(bypassed))  # as patch= does for a target never called
    if stand_in is not None and stand_in.refusals:
        # The application saw only an exit status, which it may have taken for the program's own
        # failure (any non-zero status is "bad input" to many): a refusal must not pass for one.
        count = len(stand_in.refusals)
        pytest.fail(f"modelizer: the `{stand_in.name}` stand-in refused {count} call{'s' * (count != 1)} (the "
                    f"application saw exit status {stand_in.refusals[0][0]}, which it may have taken for the "
                    f"program's failure); the reasons and fixes are in the report section below", pytrace=False)
    served = item.stash.get(SERVED, [])
    disagreements = [d for program in served for d in program.disagreements]
    if disagreements:
        pytest.fail("modelizer verify: the model and the real program disagree on "
                    f"{len(disagreements)} call(s):\n" + "\n".join(disagreements), pytrace=False)
    return result


@pytest.fixture(autouse=True)
def _modelizer_marker(request: pytest.FixtureRequest):
    """Error a test whose marker is invalid; for patch='module.attr', serve it from the model."""
    error = request.node.stash.get(ERROR, None)
    if error:
        pytest.fail(_prefixed(error), pytrace=False)
    spec = request.node.stash.get(SPEC, None)
    if spec is not None and spec.binary is not None:
        request.getfixturevalue("modelizer_binary")
    if spec is None or spec.patch is None:
        yield
        return
    mock = request.getfixturevalue("mock_program")
    with pytest.MonkeyPatch.context() as mp:
        try:
            mp.setattr(spec.patch, mock)
        except (ImportError, AttributeError) as exc:
            pytest.fail(f"modelizer: cannot patch {spec.patch!r}: {str(exc).splitlines()[0]}"
                        f"{_patch_hint(spec.patch)}", pytrace=False)
        yield
    if not mock.calls:
        module, _, name = spec.patch.rpartition(".")
        warnings.warn(pytest.PytestWarning(
            f"modelizer: patch={spec.patch!r} was never called during this test, which ran against whatever the "
            f"application called instead. A module that did `from {module} import {name}` keeps the original: "
            f"patch the name where the application looks it up (patch='<that module>.{name}')"))


def _patch_hint(target: str) -> str:
    """A did-you-mean for a `patch=` target whose module holds a close name (else "")."""
    import importlib

    module, _, name = target.rpartition(".")
    try:
        names = dir(importlib.import_module(module))
    except Exception:  # noqa: BLE001 - the module itself is what is wrong: the error says so
        return ""
    return did_you_mean(name, [n for n in names if not n.startswith("__")], shown=lambda n: f"{module}.{n}")


@pytest.fixture
def modelizer_binary(request: pytest.FixtureRequest):
    """The path of the test's `binary=` stand-in: first on PATH for the test, answered like `mock_program`."""
    spec = _spec(request)
    if spec.binary is None:
        pytest.fail("modelizer: modelizer_binary needs a command to stand in for: mark the test "
                    "@pytest.mark.modelize('SUBJECT', binary='NAME')", pytrace=False)
    served = request.getfixturevalue("mock_program")  # first: the program's status is probed on the real PATH
    calls = request.config.stash.setdefault(BINARY_CALLS, {})
    stand_in = request.node.stash[STAND_IN] = StandIn(served, spec.binary, calls)
    try:
        stand_in.start()
    except OSError as exc:
        stand_in.close()
        error = f"modelizer: cannot set up the stand-in for `{spec.binary}`: {exc}"
    else:
        try:
            with pytest.MonkeyPatch.context() as mp:  # restores PATH and binary_env after the test
                stand_in.install(mp)
                if spec.binary_env is not None:
                    mp.setenv(spec.binary_env, str(stand_in.path))
                yield stand_in.path
        finally:
            stand_in.close()
        return
    pytest.fail(error, pytrace=False)  # outside `except`: no chained traceback in the report


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker, hand the model usage to the controller for its summary."""
    workeroutput = getattr(session.config, "workeroutput", None)
    state = session.config.stash.get(STATE, None)
    if state is not None:
        state.close()
        if state.recordings is not None and state.recordings.pending:
            try:  # every process merges its own under the file's lock: xdist workers lose nothing
                state.recorded = [str(p) for p in state.recordings.flush()]
            except (OSError, RecordingFileError) as exc:
                state.recording_error = str(exc)
    if workeroutput is not None and state is not None:
        workeroutput["modelizer"] = json.dumps(state.usage())
        workeroutput["modelizer_recorded"] = json.dumps([state.recorded, state.recording_error])
        workeroutput["modelizer_binary"] = json.dumps(session.config.stash.get(BINARY_CALLS, {}))
        book = session.config.stash[CASES]
        workeroutput["modelizer_cases"] = json.dumps(book.reports_json())
        workeroutput["modelizer_unused"] = json.dumps({str(p): names for p, names in book.unused().items()})
    book = session.config.stash.get(CASES, None)
    if book is not None and book.update and not session.config.option.collectonly:
        book.removed = book.remove_unused()
    if workeroutput is None and state is not None and state.recording_error and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a record job that kept nothing must not pass


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """On the pytest-xdist controller, merge a finished worker's model usage."""
    data = getattr(node, "workeroutput", {}).get("modelizer")
    if data:
        node.config.stash[STATE].merge_usage(json.loads(data))
    recorded = getattr(node, "workeroutput", {}).get("modelizer_recorded")
    if recorded:
        state = node.config.stash[STATE]
        paths, error = json.loads(recorded)
        state.recorded = sorted(set(state.recorded) | set(paths))
        state.recording_error = state.recording_error or error
    calls = getattr(node, "workeroutput", {}).get("modelizer_binary")
    if calls:
        merge_calls(node.config.stash.setdefault(BINARY_CALLS, {}), json.loads(calls))
    cases = getattr(node, "workeroutput", {}).get("modelizer_cases")
    if cases:
        node.config.stash[CASES].merge_reports(json.loads(cases))
    unused = getattr(node, "workeroutput", {}).get("modelizer_unused")
    if unused:
        node.config.stash[CASES].merge_unused(json.loads(unused))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Per model used: key, held-out fidelity, queries of the model and their mean latency."""
    book = config.stash.get(CASES, None)
    if book is not None:
        lines = book.summary_lines()
        if lines:
            terminalreporter.section("modelizer cases")
            for line in lines:
                terminalreporter.write_line(line)
    state = config.stash.get(STATE, None)
    if state is None:
        return
    lines = _usage_lines(state.usage())
    if config.stash.get(BINARY_CALLS, None):
        lines += summary_lines(config.stash[BINARY_CALLS])
    lines += [f"recordings written: {path}" for path in state.recorded]
    if state.recorded and state.mode == "mock":  # a plain run wrote into the working tree: say why
        lines.append("  (the program's answers to inputs the model was unsure of, on_uncertain='real': they answer "
                     "those inputs from the next run on; commit them, or set on_uncertain where a run must "
                     "write nothing)")
    if state.recording_error:
        lines.append(f"recordings NOT written: {state.recording_error}")
    if lines:
        terminalreporter.section("modelizer")
        for line in lines:
            terminalreporter.write_line(line)


def _usage_lines(usage: dict[str, dict]) -> list[str]:
    """Summary lines per model: trained, program status, key and fidelity, who answered the calls."""
    lines = []
    for name, entry in sorted(usage.items()):
        if entry.get("trained"):
            lines.append(f"trained {name}")
        if entry.get("program"):
            lines.append(f"{name}: {entry['program']}")
        if entry.get("key") is not None:
            exact, loss = entry.get("exact_match"), entry.get("validation_loss")
            if exact is not None:
                fidelity = f"held-out exact match {exact:.1%} (n={entry.get('n')})"
            elif loss is not None:
                fidelity = f"validation loss {loss:.3f} per token (a generator of failure-likely inputs)"
            else:
                fidelity = "no metrics"
            # Per decoded input: prefetching decodes a parametrized test's inputs in one batch, and the
            # calls that follow are memo hits; time per call would mix the two.
            decoded = entry.get("decoded", 0)
            mean_ms = 1000 * entry["seconds"] / decoded if decoded else 0.0
            calls = entry["calls"]
            # Queries of the model, `.predict` included: who answered the calls is the line below's.
            served = (f"; {calls} quer{'ies' if calls != 1 else 'y'} of the model, {decoded} input{'s' * (decoded != 1)} decoded, "
                      f"{mean_ms:.1f} ms mean per decoded input") if calls or decoded else ""
            lines.append(f"{name} key {entry['key']}: {fidelity}{served}")
        counts = entry.get("counts")
        if counts and any(counts.values()):
            line = (f"{name} calls answered by the model {counts['model']}, a recording {counts['recording']}, "
                    f"the program {counts['program']}; refused {counts['refused']}")
            checked = counts["agreed"] + counts["disagreed"]
            if checked or counts.get("unanswered"):
                agreed = f" ({counts['agreed'] / checked:.1%})" if checked else ""
                line += f"; verify: model agreed on {counts['agreed']}/{checked}{agreed}"
                if counts.get("unanswered"):
                    line += (f", and would not have answered {counts['unanswered']} (unsure or uncovered: "
                             f"on_uncertain decides those)")
            if counts["stale_recordings"]:
                line += f"; {counts['stale_recordings']} recordings made by another program version (drift)"
            lines.append(line)
        if entry.get("unchecked"):
            lines.append(f"{name} answers were not checked by the model of the other direction, which was "
                         f"refused: {entry['unchecked']}")
    return lines
