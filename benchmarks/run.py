"""Run the benchmarks for subjects, keep the JSON, and regenerate BENCHMARKS.md from it.

    python benchmarks/run.py                       # every bundled subject that has a model
    python benchmarks/run.py markdown-it --only latency,startup
    python benchmarks/run.py --render-only         # rebuild BENCHMARKS.md from benchmarks/results/

Each benchmark runs in a fresh `python -m benchmarks.bench ... --json` process; its JSON
goes to `benchmarks/results/<subject>-<direction>-<bench>.json`. BENCHMARKS.md is written only
from those files: no number in it is typed by hand.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python benchmarks/run.py` puts only benchmarks/ on the path
RESULTS = Path(__file__).resolve().parent / "results"
MARKDOWN = ROOT / "BENCHMARKS.md"
BENCHES = ("fidelity", "latency", "training", "startup", "failures")


def bundled_subjects_with_models(cache_dir: Path) -> list[str]:
    """Entry-point subjects with a current output model (either direction) in the cache or shipped."""
    from pytest_modelizer.registry import SubjectRegistry
    from pytest_modelizer.store import ModelStore

    registry, store = SubjectRegistry.discover(), ModelStore(cache_dir)
    names = []
    for name in registry.names():
        if model_directions(store, registry.get(name), ("forward", "inverse")):
            names.append(name)
        else:
            print(f"skipping {name}: no current model in {cache_dir} or shipped", file=sys.stderr)
    return names


def model_directions(store, subject, directions) -> list[str]:
    """Those of `directions` for which `subject` has a current model."""
    from benchmarks.common import find_model
    from pytest_modelizer.spec import ModelSpec
    from pytest_modelizer.store import ModelError

    found = []
    for direction in directions:
        try:
            find_model(store, ModelSpec(subject, direction))
        except ModelError:
            continue
        found.append(direction)
    return found


def run_fidelity(subject: str, direction: str, args: argparse.Namespace) -> dict:
    """`modelizer eval --json` on fresh synthetic inputs and on each of the subject's corpora."""
    from pytest_modelizer.registry import SubjectRegistry
    from pytest_modelizer.samples import CorpusSamples

    declared = SubjectRegistry.discover().get(subject)
    corpora = declared.corpora if not args.conftest else {}
    # A corpus the subject draws samples from is measured on its evaluation part only.
    sampled = {p.resolve() for p in declared.samples.paths} if isinstance(declared.samples, CorpusSamples) else set()
    sets = [("synthetic held-out", [])] + [
        (name, ["--inputs", str(path), *(["--part", "evaluation"] if Path(path).resolve() in sampled else [])])
        for name, path in corpora.items()]
    reports = []
    for label, extra in sets:
        argv = [sys.executable, "-m", "pytest_modelizer", "eval", subject, "--json", "--direction", direction,
                "--cache-dir", str(args.cache_dir), *extra]
        print(f"$ {' '.join(argv[1:])}", file=sys.stderr, flush=True)
        done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"evaluation of {subject} on {label} failed:\n{done.stderr[-3000:]}")
        reports.append({"set": label, **json.loads(done.stdout.strip().splitlines()[-1])})
    return {"subject": subject, "direction": direction, "reports": reports}


def run_bench(kind: str, subject: str, direction: str, args: argparse.Namespace) -> dict:
    if kind == "fidelity":
        return run_fidelity(subject, direction, args)
    argv = [sys.executable, "-m", "benchmarks.bench", kind, subject, "--json",
            "--direction", direction, "--cache-dir", str(args.cache_dir)]
    for path in args.conftest:
        argv += ["--conftest", str(path)]
    if kind == "latency":
        argv += ["--calls", str(args.calls)]
        if args.baseline_calls is not None:
            argv += ["--baseline-calls", str(args.baseline_calls)]
        if args.threads is not None:
            argv += ["--threads", str(args.threads)]
    elif kind == "training":
        argv += ["--minutes", str(args.minutes), "--target", str(args.target)]
    elif kind == "failures":
        argv += ["--budget", str(args.budget), "--seeds", str(args.seeds)]
    else:
        argv += ["--repeats", str(args.repeats)]
    env = dict(os.environ)
    if kind == "latency" and args.threads is not None:
        # numpy's BLAS reads its thread count when it loads: the same number of threads for both decoders.
        env.update(OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    print(f"$ {' '.join(argv[1:])}", file=sys.stderr, flush=True)
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{kind} benchmark of {subject} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# BENCHMARKS.md
# ---------------------------------------------------------------------------------------------

def _f(value, digits: int = 2, suffix: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        return f"{value:.{digits}f}{suffix}"
    return f"{value}{suffix}"


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _mm(entry) -> str:
    """min (median) milliseconds."""
    return "–" if not entry else f"{entry['min_ms']:.0f} ({entry['median_ms']:.0f})"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


# Subjects held to the paper's best result (95.4 % exact, BLEU 0.98 on real-world Markdown).
MARKDOWN_SUBJECTS = ("markdown-it", "pandoc-html", "pandoc-markdown")


def _training_time(report: dict) -> str:
    """Training seconds, with the torch threads where the model file records them."""
    threads = report.get("train_threads")
    time = _f(report.get("train_seconds"), 0, " s")
    return f"{time} ({threads} thread{'s' if threads != 1 else ''})" if threads else time


def _medians(d: dict) -> str:
    """'mock / program = ratio' from the median times, where the result has them."""
    if d.get("program_median_ms") is None:
        return "–"
    return (f"{_f(d['mock_median_ms'])} / {_f(d['program_median_ms'], 3)} = "
            f"{_f(d['ratio_unbatched_vs_program_median'], 2, 'x')}")


def stands_in(report: dict) -> str:
    """Whether a fidelity row shows a model exact enough to stand in for the program ('–' where the row does not say)."""
    synthetic = report["set"].startswith("synthetic")
    if report["direction"] == "inverse":
        if not synthetic:
            return "–"
        return f"round trip >= 90 %: {'yes' if report['exact_match'] >= 0.90 else '**no**'}"
    if synthetic:
        return "–"
    if report["subject"] in MARKDOWN_SUBJECTS:
        met = report["exact_match"] >= 0.954 and report["bleu"] >= 0.98
        return f">= 95.4 %, BLEU >= 0.98: {'yes' if met else '**no**'}"
    return f">= 90 %: {'yes' if report['exact_match'] >= 0.90 else '**no**'}"


def trusted(report: dict) -> str:
    """Whether a real-world row's confident answers are 99 % exact, and enough of them (forward)."""
    if report["set"].startswith("synthetic") or report["direction"] != "forward":
        return "–"
    share = {"latexify": 0.8, **{name: 0.5 for name in MARKDOWN_SUBJECTS}}.get(report["subject"])
    exact_ok = report["confident_exact"] is not None and report["confident_exact"] >= 0.99
    share_ok = share is None or report["confident"] >= share
    bar = ">= 99 % exact" + (f", >= {share:.0%} confident" if share else "")
    verdict = "yes" if exact_ok and share_ok else "**no**"
    if share and report["exact_match"] < share:
        verdict += f" (only {100 * report['exact_match']:.1f} % of the answers are right at all)"
    return f"{bar}: {verdict}"


def _token(token: str) -> str:
    """A token as a table cell shows it: whitespace and pipes escaped, within backticks."""
    return repr(token)[1:-1].replace("|", "\\|").replace("`", "'")


def _changed_example(example: list[str]) -> str:
    """`input -> answer; changed input -> answer`, the answers from a little before they differ."""
    from pytest_modelizer.content_check import where_they_differ

    before, before_does, after, after_does = example
    before_does, after_does = where_they_differ(before_does, after_does)
    return "; ".join(f"`{text!r}` -> `{does!r}`".replace("|", "\\|")
                     for text, does in ((before, before_does), (after, after_does)))


# Why an input's answer is beyond the model while the input itself is read (evaluate.score_pairs).
ANSWER_SIDE = ("unseen output tokens", "untokenizable reference")


def inputs_read(report: dict) -> float:
    """The share of inputs the model represents whatever the program answered; for reports made before
    it was recorded, coverage plus the inputs left uncovered by the answer alone."""
    if "query_coverage" in report:
        return report["query_coverage"]
    why = (report.get("uncovered") or {}).get("why", {})
    return report["coverage"] + sum(why.get(reason, 0) for reason in ANSWER_SIDE) / max(1, report["n"])


def render(results: dict[str, dict]) -> str:
    """Markdown tables of the result files (name -> JSON)."""
    by_kind: dict[str, list[tuple[str, dict]]] = {k: [] for k in BENCHES}
    for name, data in sorted(results.items()):
        kind = name.rsplit("-", 1)[-1]
        if kind in by_kind:
            by_kind[kind].append((name, data))
    outside = [(name, data) for name, data in sorted(results.items()) if name.endswith("-outside")]
    out = [
        "# Benchmarks",
        "",
        "Generated by `python benchmarks/run.py` from `benchmarks/results/*.json`; do not edit by hand.",
        "See `benchmarks/README.md` for how each number is measured.",
        "",
    ]
    if by_kind["fidelity"]:
        out += ["## Fidelity: model vs the real program", "",
                "`modelizer eval --json` per input set. *exact*: share of inputs whose predicted behaviour equals "
                "the program's (uncovered inputs count as misses); for an inverse model, the share of the "
                "program's successful outputs for which the real program, run on the predicted input, gives that "
                "output again (round trip). *BLEU*: mean sentence BLEU on token sequences (sacrebleu) with its "
                "standard error; *coverage*: share of inputs the tokenizers and vocabulary can represent, with the "
                "program's answer (a token never seen "
                "whole counts where known tokens spell it; for an inverse model, the share of queries it can "
                "represent: its answer is judged by the round trip, whichever input it writes); *inputs read*: "
                "share of inputs the model represents whatever the program answered (a forward answer holding "
                "words that no input placeholder holds and no training output did is beyond any model's reach, "
                "though the model reads the input); times in "
                "milliseconds per call (mock batched; program inside its worker process). *stands in*: whether the "
                "model is exact enough to stand in for the program on such inputs: forward on real-world inputs, "
                "as exact as the paper's best for the Markdown subjects (exact >= 95.4 % and BLEU >= 0.98), >= 90 % "
                "for the others; an inverse model, a round trip on >= 90 % of the synthetic held-out inputs.", ""]
        rows = []
        for _, d in by_kind["fidelity"]:
            for r in d["reports"]:
                rows.append([r["subject"], r["direction"], r["set"], _f(r["n"]), _pct(r["coverage"]),
                             _pct(inputs_read(r)), _pct(r["exact_match"]), f"{r['bleu']:.3f} ± {r['bleu_se']:.3f}",
                             _pct(r["token_accuracy"]), f"{r['parameters']:,}", _f(r.get("train_pairs")),
                             _training_time(r), _f(r["mock_ms_per_call"]),
                             _f(r["program_ms_per_call"], 3), stands_in(r)])
        out += _table(["subject", "direction", "inputs", "n", "coverage", "inputs read", "exact", "BLEU",
                       "token accuracy",
                       "parameters", "training pairs", "training time", "mock ms", "program ms", "stands in"], rows)
        out += [""]
        buckets = ["<=20", "21-40", "41-80", ">80", "untokenized"]
        parts = ["inside", "outside", "too long to parse"]

        def cell(split: dict | None, name: str) -> str:
            return f"{_pct(split[name]['exact_match'])} ({split[name]['n']})" if split and name in split else "–"

        rows = [[r["subject"], r["direction"], r["set"], *(cell(r["by_length"], b) for b in buckets),
                 *(cell(r.get("by_grammar"), p) for p in parts)]
                for _, d in [*by_kind["fidelity"], *outside] for r in d["reports"] if "by_length" in r]
        if rows:
            out += ["### Exact match by length and by grammar", "",
                    "The same runs, and those on inputs from outside this repository (below): exact match "
                    "(inputs) by the query's length in tokens, and for real inputs by whether the subject's "
                    "input grammar describes the input (parsed up to its content, as samples are: inside the "
                    "grammar the model meets what it was trained on; outside, what the grammar would have to "
                    "grow to make). Runs made before the length or the grammar split was recorded show –.", ""]
            out += _table(["subject", "direction", "inputs", *(f"{b} tokens" if b != "untokenized" else b
                                                               for b in buckets),
                           "inside the grammar", "outside", "too long to parse"], rows) + [""]
        rows = [[r["subject"], r["direction"], r["set"], _f(r["uncovered"]["n"]),
                 ", ".join(f"{why} {n}" for why, n in r["uncovered"]["why"].items()),
                 ", ".join(f"`{_token(t)}` {n}" for t, n in r["uncovered"]["unseen_tokens"][:6]) or "–",
                 f"{r['spelled']['n']} ({_pct(r['spelled']['exact_match'])})" if r.get("spelled") else
                 ("0" if "query_coverage" in r else "–")]
                for _, d in [*by_kind["fidelity"], *outside] for r in d["reports"] if r.get("uncovered")]
        if rows:
            out += ["### Why inputs are uncovered", "",
                    "The same runs, and those on inputs from outside this repository (below): the inputs a model "
                    "cannot represent, by reason, and the tokens never seen in "
                    "training that leave the most of them uncovered (inputs each; `modelizer eval` prints them). "
                    "*read through spelled tokens*: the inputs the model did read only by spelling a token it never "
                    "saw whole with tokens it knows, and their exact match (– for runs made before it was "
                    "recorded): how far representing what training never showed takes an answer. "
                    "Runs made before the reasons were recorded are left out.", ""]
            out += _table(["subject", "direction", "inputs", "uncovered", "why", "tokens never seen",
                           "read through spelled tokens (exact)"], rows) + [""]
        out += ["## Confidence: which answers to trust", "",
                "The same runs. A model answers *confidently* when the input is covered, familiar (every source "
                "trigram seen in training, or every pair of tokens where the training sample holds too few of the "
                "grammar's trigrams, no tag or bracket nested deeper than in any training input, and, for a "
                "forward model, every character of a placeholder's value one "
                "the training values held or the program was seen to copy as is there, and no value a vocabulary "
                "word the program was seen to act on there), its answer like the training outputs (every trigram "
                "(or pair, as for the input) seen in the training targets, where the model carries them, and every tag, bracket, double quote "
                "and backtick closed that every training output closed) and its confidence (the "
                "lowest token probability of the greedy answer) "
                "reaches the threshold calibrated on the model's synthetic held-out pairs for 99 % exact, and the "
                "model of the other direction leads its answer back to an input of the same shape (placeholders in "
                "the same order; spellings the program was seen to treat alike count as the same). With that "
                "model there, the threshold is the one calibrated with it (on the held-out answers it leads "
                "back, or the model's own where that is lower). "
                "*confident*: share of all inputs answered confidently; *exact among confident*: their exact "
                "match; *exact overall*: as above; *right answers answered confidently*: the share of the exact "
                "answers that the model vouches for. *trusted*: on real-world inputs, whether the confident answers "
                "are exact enough to serve without asking the program (>= 99 %) and, for latexify and the Markdown "
                "subjects, frequent enough to spare most program calls (>= 80 % and >= 50 % answered).", ""]
        rows = []
        for _, d in by_kind["fidelity"]:
            for r in d["reports"]:
                if r.get("threshold") is None:
                    continue
                vouched = (r["confident"] * r["confident_exact"] / r["exact_match"]
                           if r["exact_match"] and r["confident_exact"] is not None else None)
                rows.append([r["subject"], r["direction"], r["set"], _f(r["n"]), _f(r["threshold"], 3),
                             _pct(r["confident"]), _pct(r["confident_exact"]), _pct(r["exact_match"]), _pct(vouched),
                             trusted(r)])
        out += _table(["subject", "direction", "inputs", "n", "threshold", "confident", "exact among confident",
                       "exact overall", "right answers answered confidently", "trusted"], rows)
        out += [""]
    binary = results.get("pandoc-html-forward-binary")
    if binary:
        m, r = binary["median"], binary["ratios"]
        out += ["## A command served by the model: `binary=\"pandoc\"`", "",
                "`python benchmarks/binary_latency.py > benchmarks/results/pandoc-html-forward-binary.json`: "
                f"the first {binary['n']} blocks of "
                f"{'the ' + binary['part'] + ' part of ' if binary.get('part') else ''}`{binary['inputs']}`, "
                "each kind of call in turn per input, "
                "medians in milliseconds. *through the stand-in*: `subprocess.run([\"pandoc\", ...])` answered by "
                "the model; *memoized*: the same calls answered from the run's memo (what the stand-in itself "
                "costs: a Python start and a socket round trip); *pandoc*: the real binary; *in-process*: a "
                "`mock_program` call.", ""]
        out += _table(["through the stand-in", "memoized", "pandoc", "in-process", "stand-in / pandoc",
                       "stand-in / in-process", "stand-in exit codes"],
                      [[_f(m["shim_ms"]), _f(m["shim_warm_ms"]), _f(m.get("pandoc_ms")), _f(m["mock_ms"]),
                        _f(r.get("shim/pandoc"), 2, "x"), _f(r["shim/mock"], 2, "x"),
                        ", ".join(f"{k}: {v}" for k, v in sorted(binary["shim_exit_codes"].items()))]])
        out += [""]
    if outside:
        out += ["## Confidence on inputs from outside this repository", "",
                "`python benchmarks/outside_inputs.py [SUBJECT ...]`: Markdown blocks of the installed packages' descriptions "
                "(and pandoc's HTML of them, for pandoc-markdown), Python return expressions and SQL statements of "
                "their sources (none written for this project; what is installed decides the sets). An inverse "
                "model is asked for the program's outputs of those inputs and scored by the round trip. Columns "
                "as above; exact match by length and the uncovered inputs are in the fidelity tables.", ""]
        rows = [[r["subject"], r["direction"], r["set"], _f(r["n"]), _pct(r["coverage"]), _pct(inputs_read(r)),
                 _f(r.get("threshold"), 3),
                 _pct(r.get("confident")), _pct(r.get("confident_exact")), _pct(r["exact_match"]),
                 f"{r['bleu']:.3f} ± {r['bleu_se']:.3f}"]
                for _, d in outside for r in d["reports"]]
        out += _table(["subject", "direction", "inputs", "n", "coverage", "inputs read", "threshold", "confident",
                       "exact among confident", "exact overall", "BLEU"], rows)
        out += [""]
    if by_kind["latency"]:
        out += ["## Latency: mock vs program vs paper-style decoding", "",
                "Milliseconds per call on the same fresh inputs. *batched*: one `predict_batch` over all inputs "
                "(KV cache, decoded in numpy); *batched torch*: the same batch through torch's decoder; *mock*: one "
                "call at a time (KV cache, decoded in numpy); *torch*: the same calls through torch's decoder; "
                "*program*: time inside the worker process "
                "(*wall*: including the IPC); *baseline*: the paper's decoding (no KV cache, one input at a time) "
                "on the same model, on the first *baseline calls* inputs. Ratios are the batched mock's time over "
                "the others'; *KV cache speedup* is the baseline's time over torch's unbatched decoding on those same "
                "inputs (the cache alone, without batching or numpy). *medians*: the unbatched mock's and the program's "
                "median milliseconds per call and their ratio, which a few timeouts (pandoc's Markdown reader, "
                "1 s each) cannot skew.", ""]
        rows = []
        for _, d in by_kind["latency"]:
            rows.append([d["subject"], d["direction"], f"{d['parameters']:,}", _f(d["threads"]), _f(d["calls"]),
                         _f(d["baseline_calls"]),
                         _f(d["mock_ms_per_call"]), _f(d.get("mock_torch_ms_per_call")), _f(d["mock_batched_ms_per_call"]),
                         _f(d.get("mock_batched_torch_ms_per_call")),
                         _f(d["program_ms_per_call"], 3),
                         _f(d["program_wall_ms_per_call"]), _f(d["baseline_ms_per_call"]),
                         _f(d["ratio_vs_program"], 2, "x"), _f(d["ratio_vs_baseline"], 3, "x"),
                         _f(d.get("kv_cache_speedup"), 1, "x"), _medians(d), _f(d["outputs_identical"]),
                         _f(d.get("numpy_identical")), _f(d.get("batched_numpy_identical"))])
        out += _table(["subject", "direction", "parameters", "threads", "calls", "baseline calls", "mock", "torch",
                       "batched", "batched torch", "program", "program wall", "baseline", "batched / program",
                       "batched / baseline", "KV cache speedup", "medians: mock / program", "cached = uncached",
                       "numpy = torch", "batched: numpy = torch"],
                      rows) + [""]
    if by_kind["training"]:
        out += ["## Training: our configuration vs the paper's", "",
                "Each configuration trains in a fresh process for at most the given minutes on the same pairs "
                "(synthesis excluded). *pairs/s* counts training steps only; *time to target* is wall time "
                "from the start until validation exact match first reached the target; *held-out* is exact "
                "match on the split `learn` holds out; *peak RSS* is the process's `ru_maxrss`.", ""]
        rows = []
        for _, d in by_kind["training"]:
            for label, c in d["configs"].items():
                model = c["training"]["model"]
                shape = (f"d {model['d_model']}, {model['n_heads']} heads, {model['enc_layers']}+{model['dec_layers']} "
                         f"layers, ff {model['d_ff']}, dropout {model['dropout']:g}, batch {c['training']['batch_size']}, "
                         f"lr {c['training']['lr']:g}")
                rows.append([d["subject"], label, shape, f"{c['parameters']:,}", _f(c["threads"]),
                             _f(d["minutes"], 1), _f(c["pairs_per_s"], 0), _f(c["steps"]),
                             _pct(c["held_out_exact_match"]),
                             f"{_pct(d['target'])}: {_f(c['time_to_target_s'], 0, ' s')}",
                             _f(c["peak_rss_mb"], 0, " MB"), c["stopped"]])
        out += _table(["subject", "config", "model and optimizer", "parameters", "threads", "max min",
                       "pairs/s", "steps", "held-out exact", "time to target", "peak RSS", "stopped"], rows) + [""]
        synth = [[d["subject"], _f(d["pairs"]), "cached" if d["pairs_cached"] else _f(d["synthesis_seconds"], 1, " s")]
                 for _, d in by_kind["training"]]
        out += ["Synthesis of the training pairs (measured only when they were not cached):", ""]
        out += _table(["subject", "pairs", "synthesis"], synth) + [""]
    if by_kind["startup"]:
        out += ["## Startup", "",
                "Fresh processes; min (median) in milliseconds. *plugin overhead*: a pytest run of one trivial "
                "test with the plugin minus the same run with `-p no:modelizer`. *load + first call*: "
                "`load_artifact` + `MockProgram` + one prediction, after the imports (*imports*: numpy and the "
                "plugin's modules replaying needs; torch is not imported).", ""]
        rows = []
        for _, d in by_kind["startup"]:
            imp, pt, load = d["import"], d["pytest"], d.get("load", {})
            rows.append([d["subject"] or "–", _f(d["repeats"]), _mm(imp["python_pass"]), _mm(imp["import_pytest"]),
                         _mm(imp["import_plugin"]), _mm(pt["without_plugin"]), _mm(pt["with_plugin"]),
                         _mm(d["pytest_plugin_overhead_ms"]),
                         _mm(load.get("import_s")), _mm(load.get("load_and_first_s")), _mm(load.get("total_s"))])
        out += _table(["subject", "repeats", "python -c pass", "import pytest", "import plugin", "pytest, no plugin",
                       "pytest, plugin", "plugin overhead", "imports", "load + first call", "all"], rows) + [""]
    if by_kind["failures"]:
        out += ["## Finding failures: failure models vs grammar fuzzing", "",
                "`python -m benchmarks.bench failures SUBJECT --json`: the same budget of real-program executions per method "
                "and seed, mean over seeds. *model*: the failure models propose (inverse sampling per failure kind "
                "plus forward screening of 20 grammar-made candidates per execution; *model s* is their time per "
                "seed); *coverage* and *probabilistic*: fuzzingbook's GrammarCoverageFuzzer and "
                "ProbabilisticGrammarFuzzer on the subject's grammar. Failures exclude the subject's rejections "
                "(inputs outside the program's language), counted apart. *kinds*: distinct failure kinds "
                "(exception type and message class, names and numbers removed). *ratio*: the model's failures over "
                "the best baseline's (at least 1); *kinds ratio* likewise for kinds (best of the two baselines).", ""]
        rows = []
        for _, d in by_kind["failures"]:
            det = d["details"]
            rows.append([d["subject"], _f(d["budget"]), _f(len(d["seeds"])),
                         f"{det['model']['failures']:.0f} ({_pct(d['model_failure_rate'])})",
                         f"{det['coverage']['failures']:.0f}", f"{det['probabilistic']['failures']:.0f}",
                         f"{det['model']['kinds']:.1f}", f"{det['coverage']['kinds']:.1f}",
                         f"{det['probabilistic']['kinds']:.1f}",
                         f"{det['model']['rejections']:.0f} / {det['coverage']['rejections']:.0f} / "
                         f"{det['probabilistic']['rejections']:.0f}",
                         _f(d["ratio"], 2, "x"), _f(d["kinds_ratio"], 2, "x"),
                         _f(det["model"]["model_seconds"], 1, " s"), _f(d["training_seconds"], 0, " s")])
        out += _table(["subject", "budget", "seeds", "model failures", "coverage failures", "probabilistic failures",
                       "model kinds", "coverage kinds", "probabilistic kinds", "rejections (m / c / p)", "ratio",
                       "kinds ratio", "model s", "training"], rows) + [""]
    install = results.get("install-replay")
    if install:
        base, examples = install["base"], install["with_examples"]
        out += ["## The replay install", "",
                "`python benchmarks/install_size.py > benchmarks/results/install-replay.json`: `pip install` of the "
                "source tree into a fresh virtual environment, then `pip list` (pip and setuptools included) and "
                "`du` of its site-packages; then the example suite's programs are added and `pytest "
                "conftest_examples` runs there (no torch, no fuzzingbook; sqlglot and pandoc absent, their models "
                "replaying).", ""]
        out += _table(["install", "distributions", "site-packages", "example suite"], [
            ["`pip install pytest-modelizer`", _f(len(base["distributions"])), f"{base['site_packages_mb']:.0f} MB",
             "–"],
            [f"plus {', '.join(examples['added'])}", _f(len(examples["distributions"])),
             f"{examples['site_packages_mb']:.0f} MB", install["example_suite"]["summary"]],
        ]) + ["", f"Distributions: {', '.join(base['distributions'])}.", ""]
    precision = results.get("storage-precision")
    if precision:
        out += ["## Stored precision of the shipped models", "",
                "`python benchmarks/convert_models.py subjects/models/*/*.pt > "
                "benchmarks/results/storage-precision.json`, run once on the float32 files of the earlier torch "
                "format: each model answers its queries (500 synthetic held-out inputs plus the subject's "
                "real-world corpora; an inverse model the forward model's covered answers to them; a failure "
                "inverse model every failure kind) with its float32 weights and with them rounded to 16 bits. "
                "*answers differ*: greedy token sequences that change; *verdicts differ*: answers that cross the "
                "calibrated confidence threshold. A model is stored in 16 bits only where both are 0.", ""]
        rows = [[m["subject"], f"{m['aspect']} {m['direction']}" if m["aspect"] != "output" else m["direction"],
                 _f(m["n"]), _f(m["answers_differ"]), _f(m["verdicts_differ"]), _f(m["max_confidence_change"], 4),
                 m["stored"], f"{m['bytes_before'] / 1e6:.2f} MB", f"{m['bytes'] / 1e6:.2f} MB"]
                for m in precision["models"]]
        before, after = sum(m["bytes_before"] for m in precision["models"]), sum(m["bytes"] for m in precision["models"])
        rows.append(["all", "", "", "", "", "", "", f"{before / 1e6:.1f} MB", f"{after / 1e6:.1f} MB"])
        out += _table(["subject", "model", "queries", "answers differ", "verdicts differ", "largest confidence change",
                       "stored", "`.pt` file", "`.npz` file"], rows) + [""]
    users = results.get("user-defaults")
    if users:
        out += ["## Subjects as a new user writes them, with the default configuration", "",
                "`benchmarks/user_subjects.py`: a date formatter (digit tokens, invalid dates that fail), "
                "`jq -S -c .` (keys sorted), `shlex.split` (an unclosed quote fails), `snake_case` to "
                "`CamelCase` (every character a token), a URL's parts as JSON (keys the input never holds), "
                "a CSV line as a JSON list (quoted fields; a stray quote fails), an IPv6 address written out "
                "in full (every character a token), integer arithmetic (`eval`: what a model of this size "
                "does not learn), the `rev` command, an integer as a Roman numeral and a title as a URL slug "
                "(every character a token), JSON indented (indentation that follows the nesting) and items "
                "as an HTML list (`html.escape`d), "
                "not tuned by hand, "
                "trained forward with the defaults and a 5-minute cap on 2 threads. *held-out*: exact match on "
                "the pairs training holds out; *confident*: the share answered at or above the calibrated "
                "threshold; *exact among confident*: their exact match (measured from the CSV line on). "
                f"Command: `{users['command']}`."
                + (f" Machine: {users['machine']}." if isinstance(users["machine"], str) else ""), ""]
        buckets = ("<=20", "21-40", "41-80")
        rows = [[r["subject"], r["config"], r["load"], _f(r["train_pairs"]), _f(r["epochs"]),
                 _f(r["train_seconds"], 0, " s"), _pct(r["exact_match"]),
                 " / ".join(_pct(r["by_length"][b]) if b in r["by_length"] else "–" for b in buckets)
                 if r.get("by_length") else "–", _pct(r["confident"]),
                 _pct(r["confident_exact"]) if r.get("confident_exact") is not None else "–"]
                for r in users["runs"]]
        out += _table(["subject", "configuration", "machine load", "training pairs", "epochs", "training",
                       "held-out exact", "by input tokens (" + " / ".join(buckets) + ")", "confident",
                       "exact among confident"], rows) + [""]
    lengths = results.get("sample-lengths")
    if lengths:
        out += ["## Lengths and placeholders the samples decide", "",
                f"`{lengths['command']}`: each bundled subject with samples, its `max_nonterminals` and "
                "`placeholder_limit` left to them, as a user's subject leaves them by default. *tried*: each "
                "limit of open nonterminals tried, with the mean length in tokens of the longest tenth of its "
                "500 inputs; *samples' tokens*: the same of the samples that fit the model; *taken*: the limit nearest "
                "the samples' (a doubling that lengthens the inputs by less than a tenth ends the trial; never "
                "below 12, the limit without samples, though latexify's grammar makes longer expressions than "
                "the stdlib's); "
                "*placeholders*: the most placeholders of one kind that 99 % of the samples hold, which "
                "training renumbers up to. *configured*: what the subject's own configuration sets (hand-chosen "
                "before the samples decided it).", ""]
        rows = [[r["subject"], _f(r["samples"]),
                 ", ".join(f"{limit}: {tail:.0f}" for limit, tail in sorted(r["tails"].items(), key=lambda t: int(t[0]))),
                 f"{r['samples_tail']:.0f}", _f(r["max_nonterminals"]), _f(r["placeholder_limit"]),
                 " / ".join("left to the samples" if v is None else str(v)
                            for v in (r["configured"]["max_nonterminals"], r["configured"]["placeholder_limit"])),
                 _f(r["seconds"], 0, " s")]
                for r in lengths["subjects"]]
        out += _table(["subject", "samples", "tried (limit: tokens)", "samples' tokens", "taken", "placeholders",
                       "configured (limit / placeholders)", "time"], rows) + [""]
    hidden = results.get("hidden-content")
    if hidden:
        out += ["## Content hidden in placeholders", "",
                f"`{hidden['command']}`: the check training runs before its first step, on fresh grammar-made "
                "inputs. One placeholder's value of each checked input is changed to another value of the same kind "
                "and the program runs again; *changed*: inputs whose answer changed beyond that value (no model of "
                "these tokens can learn them), by content kind. Training warns from 2 % (and 3 inputs) on.", ""]
        rows = [[r["subject"] + (" (user-style)" if r["user_style"] else ""), _f(r["checked"]),
                 f"{r['changed']} ({_pct(r['changed'] / r['checked']) if r['checked'] else '–'})",
                 ", ".join(f"{kind} {changed}/{checked}" for kind, (checked, changed) in sorted(r["by_kind"].items()))
                 or "– (no placeholders)",
                 "yes" if r["warns"] else "no",
                 _changed_example(r["example"]) if r["example"] else "–"]
                for r in hidden["subjects"]]
        out += _table(["subject", "checked", "changed", "by kind (changed/checked)", "training warns",
                       "example"], rows) + [""]
    out += ["## Machines", ""]
    rows = []
    for name, d in sorted(results.items()):
        m = d.get("machine", {})
        if isinstance(m, str):  # a result that describes its machine in words
            m = {"platform": m}
        rows.append([f"`{name}.json`", _f(m.get("cpu_count")), _f(m.get("cpus_available")), _f(m.get("torch")),
                     _f(m.get("threads")), _f(m.get("python")), _f(m.get("platform")), _f(m.get("date"))])
    out += _table(["result", "CPUs", "CPUs available", "torch", "threads", "python", "platform", "date"], rows)
    return "\n".join(out) + "\n"


def load_results(folder: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("subjects", nargs="*", help="default: every bundled subject with a model")
    parser.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated: {', '.join(BENCHES)}")
    parser.add_argument("--direction", choices=("forward", "inverse", "both"),
                        help="default: both for fidelity (each direction with a model), forward for the rest")
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(os.environ.get("MODELIZER_CACHE_DIR", ROOT / ".modelizer")))
    parser.add_argument("--conftest", type=Path, action="append", default=[], help="passed on to benchmarks.bench")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--baseline-calls", type=int)
    parser.add_argument("--threads", type=int,
                        help="threads of torch and of numpy's BLAS for the latency bench (default: each library's)")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget", type=int, default=1000, help="real executions per method and seed (failures)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the failures benchmark")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--markdown", type=Path, default=MARKDOWN)
    parser.add_argument("--render-only", action="store_true", help="only rebuild the Markdown from the JSON files")
    args = parser.parse_args(argv)
    args.cache_dir = args.cache_dir.resolve()
    args.conftest = [p.resolve() for p in args.conftest]

    if not args.render_only:
        kinds = [k.strip() for k in args.only.split(",") if k.strip()]
        unknown = set(kinds) - set(BENCHES)
        if unknown:
            parser.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {', '.join(BENCHES)}")
        subjects = args.subjects or bundled_subjects_with_models(args.cache_dir)
        if not subjects:
            parser.error("no subject given and no bundled subject has a model")
        args.results.mkdir(parents=True, exist_ok=True)
        from pytest_modelizer.registry import SubjectRegistry
        from pytest_modelizer.store import ModelStore

        registry, store = SubjectRegistry.discover(), ModelStore(args.cache_dir)
        for subject in subjects:
            for kind in kinds:
                wanted = args.direction or ("both" if kind == "fidelity" else "forward")
                directions = ["forward", "inverse"] if wanted == "both" else [wanted]
                if kind == "fidelity" and wanted == "both" and not args.conftest:
                    directions = model_directions(store, registry.get(subject), directions)
                for direction in directions:
                    report = run_bench(kind, subject, direction, args)
                    path = args.results / f"{subject}-{direction}-{kind}.json"
                    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
                    print(f"wrote {path}", file=sys.stderr)
    args.markdown.write_text(render(load_results(args.results)))
    print(f"wrote {args.markdown}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
