"""pytest hooks and fixtures of pytest-modelizer (kept thin: the work lives in other modules)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_modelizer import __version__
from pytest_modelizer.marker import MARKER_HELP, MarkerError, ModelizeSpec, parse_marker
from pytest_modelizer.registry import SubjectRegistry, UnknownSubjectError
from pytest_modelizer.session import ModelizerSession
from pytest_modelizer.store import ModelError, ModelStore

STATE = pytest.StashKey[ModelizerSession]()
SPEC = pytest.StashKey[ModelizeSpec]()
ERROR = pytest.StashKey[str]()
DEFAULT_CACHE_DIR = ".modelizer"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register the subject-declaring hook."""
    from pytest_modelizer import hooks

    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options in one group; each CLI flag beats its ini key."""
    group = parser.getgroup("modelizer", "learned models of programs (pytest-modelizer)")
    group.addoption("--modelizer-train", action="store_true", default=None,
                    help="train missing or stale models the selected tests need before running them")
    group.addoption("--modelizer-cache-dir", default=None, metavar="DIR",
                    help=f"where models are cached (default: ini modelizer_cache_dir or <rootdir>/{DEFAULT_CACHE_DIR})")
    group.addoption("--modelizer-device", default=None, metavar="DEVICE",
                    help="torch device for training and inference: cpu (default) or cuda")
    group.addoption("--modelizer-lock-timeout", default=None, type=float, metavar="SECONDS",
                    help="how long to wait for another process training the same model (default 1800)")
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
    config.stash[STATE] = ModelizerSession(
        registry=None,  # discovered at collection, once conftest files have declared theirs
        store=ModelStore(path, lock_timeout=timeout),
        device=device,
        train=bool(_setting(config, "modelizer_train", "modelizer_train")),
    )


def pytest_report_header(config: pytest.Config) -> str:
    """One line: version, cache dir, device."""
    state = config.stash[STATE]
    train = ", training enabled" if state.train else ""
    return f"modelizer: {__version__}, cache: {state.store.cache_dir}, device: {state.device}{train}"


def _registry(config: pytest.Config) -> SubjectRegistry:
    state = config.stash[STATE]
    if state.registry is None:
        declared = [s for group in config.hook.pytest_modelizer_subjects(config=config) for s in (group or [])]
        state.registry = SubjectRegistry.discover(declared)
    return state.registry


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
        except (MarkerError, UnknownSubjectError) as exc:
            item.stash[ERROR] = str(exc)  # reported when the test runs, by _modelizer_marker
            continue
        item.stash[SPEC] = spec
        if (subject, spec.direction) not in needs:
            needs.append((subject, spec.direction))
    if state.train and needs:
        writer = config.get_terminal_writer()
        try:
            state.ensure_trained(needs, lambda text: (writer.write(text), writer.flush()))
        except ModelError as exc:
            raise pytest.UsageError(str(exc)) from None
        except ValueError as exc:  # GrammarError, too few usable pairs, ...: the subject needs fixing
            raise pytest.UsageError(f"modelizer: training failed: {exc}") from None


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
    """The learned model of the marked subject, callable like the program; `.batch`, `.info`."""
    spec = _spec(request)
    state = request.config.stash[STATE]
    subject = _registry(request.config).get(spec.subject)
    try:
        return state.mock(subject, spec.direction, request.node.nodeid)
    except ModelError as exc:
        error = str(exc)
    pytest.fail(error, pytrace=False)  # outside `except`: no chained traceback in the report


@pytest.fixture
def real_program(request: pytest.FixtureRequest):
    """Runs the marked subject's real program (worker process, hard timeout); returns a Behaviour."""
    from pytest_modelizer.runner import ProgramRunner

    subject = _registry(request.config).get(_spec(request).subject)
    runner = ProgramRunner(subject, workers=1)
    yield lambda text: runner.run(text).behaviour
    runner.close()


@pytest.fixture(autouse=True)
def _modelizer_marker(request: pytest.FixtureRequest):
    """Error a test whose marker is invalid; for patch='module.attr', serve it from the model."""
    error = request.node.stash.get(ERROR, None)
    if error:
        pytest.fail(f"modelizer: {error}", pytrace=False)
    spec = request.node.stash.get(SPEC, None)
    if spec is None or spec.patch is None:
        yield
        return
    mock = request.getfixturevalue("mock_program")
    with pytest.MonkeyPatch.context() as mp:
        try:
            mp.setattr(spec.patch, mock)
        except (ImportError, AttributeError) as exc:
            pytest.fail(f"modelizer: cannot patch {spec.patch!r}: {exc}", pytrace=False)
        yield


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker, hand the model usage to the controller for its summary."""
    workeroutput = getattr(session.config, "workeroutput", None)
    state = session.config.stash.get(STATE, None)
    if workeroutput is not None and state is not None:
        workeroutput["modelizer"] = json.dumps(state.usage())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """On the pytest-xdist controller, merge a finished worker's model usage."""
    data = getattr(node, "workeroutput", {}).get("modelizer")
    if data:
        node.config.stash[STATE].merge_usage(json.loads(data))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Per model used: key, held-out fidelity, mock calls served and their mean latency."""
    state = config.stash.get(STATE, None)
    usage = state.usage() if state is not None else {}
    if not usage:
        return
    terminalreporter.section("modelizer")
    for name, entry in sorted(usage.items()):
        if entry.get("trained"):
            terminalreporter.write_line(f"trained {name}")
        if entry.get("key") is None:
            continue
        exact = entry.get("exact_match")
        fidelity = f"held-out exact match {exact:.1%} (n={entry.get('n')})" if exact is not None else "no metrics"
        mean_ms = 1000 * entry["seconds"] / entry["calls"] if entry["calls"] else 0.0
        terminalreporter.write_line(
            f"{name} key {entry['key']}: {fidelity}; {entry['calls']} mock calls, {mean_ms:.1f} ms mean"
        )
