"""What the bundled subjects share: where their shipped models and corpora live, and how they train."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from pytest_modelizer import ModelConfig, Subject, TrainingConfig, Verbatim
from pytest_modelizer.aspect import numbered_failure_kind

FOLDER = Path(__file__).parent
MODELS = FOLDER / "models"
CORPORA = FOLDER / "corpora"

# What the shipped models were trained with: 20,000 synthesized pairs, patient early stopping.
# Every field is in the model key, so changing one here makes every shipped model stale. Each
# subject adds its input length and time limits.
# batch_size=64 and rotary=False: what the shipped models were trained with (the defaults became
# 32 and rotary positions after them).
# The lengths and placeholder counts are settled here, not left to the samples: the shipped models
# predate that (and each subject says where its own lengths differ).
SHIPPED_TRAINING = TrainingConfig(pairs=20000, max_nonterminals=12, coverage_share=0.1, patience=8, batch_size=64,
                                  placeholder_limit=0, model=ModelConfig(dropout=0.1, rotary=False))
# Markdown blocks hold more text runs than synthetic ones: learn placeholder indices up to 32.
# The Markdown and HTML grammars' paragraphs, lists, lines and code blocks run on (recursive
# rules) and make inputs as long as the samples': at 15 minutes fewer epochs cost the short inputs
# what the long ones gained (README, Fidelity), so they train for 20.
MARKDOWN_TRAINING = SHIPPED_TRAINING.replace(max_input_chars=300, max_epochs=24, max_minutes=20, placeholder_limit=32)
# Without dropout a model learns faster on 20,000 pairs within a time limit (README, "Declaring
# your own subject"); the Markdown subjects keep the dropout their shipped models were trained with,
# and sqlglot-tsql, whose 20 minutes without it ended with its training pairs learned by heart.
NO_DROPOUT = ModelConfig(dropout=0.0, rotary=False)


def with_rotary(training: TrainingConfig) -> TrainingConfig:
    """`training` with rotary positions, as a bundled model is trained once it is trained again.

    A code line's or a link's place in a long input is then learned once for every position
    (BENCHMARKS.md, fidelity by input length); the other fields stay what the model was tuned with.
    """
    return training.replace(model=replace(training.model, rotary=True))


# What a text run's words are made of: a letter or digit of any script (what `[^\W_]` matches),
# a mark that combines with one (an Indic vowel sign is not `\w` to Python's re, so a Hindi word
# fell apart into single-character tokens no vocabulary held), and the symbols that READMEs put
# in their prose: emoji (with the joiners and modifiers of their sequences), arrows, bullets,
# (R), TM, degree, plus-minus, section. Markdown readers and HTML writers copy all of them as
# they are, so they belong in a text run's placeholder, whose characters the content check
# vouches for (an unfamiliar one makes the answer unconfident rather than the input uncovered).
# Not ©: the grammars' `&copy;` is decoded to it, and beside a word the HTML would then hold a
# text run that no placeholder of the Markdown restores.
WORD_CHAR = ("(?:[^\\W_]|[\u00a7\u00ae\u00b0\u00b1\u0300-\u036f\u0483-\u0489\u0591-\u05c7"
             "\u0610-\u061a\u064b-\u065f\u0900-\u0dff\u0e31-\u0e4e\u1ab0-\u1aff\u1dc0-\u1dff\u200d"
             "\u2022\u203c\u20d0-\u20ff\u2122\u2190-\u21ff\u2600-\u27bf\u2b00-\u2bff\ufe0f"
             "\U0001f000-\U0001faff])")


def bundled_subject(name: str, corpora: Mapping[str, str] | None = None, **fields: Any) -> Subject:
    """A bundled subject: its shipped models in `models/NAME/`, its corpora (label -> file name) in `corpora/`.

    Failure kinds are `numbered_failure_kind` unless the subject says otherwise: its shipped
    failure models learnt those (the default now also replaces quoted values).
    """
    fields.setdefault("failure_kind", numbered_failure_kind)
    return Subject(name=name, shipped_models=MODELS / name,
                   corpora={label: CORPORA / filename for label, filename in (corpora or {}).items()}, **fields)


# A Markdown code block's lines are copied into <pre><code> with the characters HTML escapes
# escaped and an indented block's indentation removed: each run between those is one CODELINE
# placeholder on both sides, so a block is a few tokens per line, as long as real code makes it.
# Where the HTML tokenizer reads CODELINE as escaped (`Escaped`), a line is one run, escaped
# characters and all (`escaped` and `entities` empty).
# The regions reach fenced blocks at the start of a line or inside a block quote, and a block
# that is indented code as a whole; elsewhere (a fence inside a list item) the lines are lexed
# by the terminals, on both sides.
FENCE = r"(?:```|~~~)"


def markdown_code_blocks(fence_open: str, escaped: str = "") -> tuple[Verbatim, ...]:
    """The Markdown side's regions: `fence_open` matches a fence line as the program takes it
    (without "^"), `escaped` lists the characters its HTML escapes, that end a run."""
    return (
        Verbatim(start=rf"(?m)^{fence_open}", end=rf"(?m)^{FENCE}", content="CODELINE", apart=rf"[{escaped}\n]"),
        Verbatim(start=rf"(?m)^> ?{fence_open}", end=rf"(?m)^> ?{FENCE}|^(?!>)", content="CODELINE",
                 apart=rf"(?m)^> ?|[{escaped}\n]"),
        Verbatim(start=r"\A(?= {4})", end=r"(?m)^(?=[^ \n])", content="CODELINE",
                 apart=r"\A {4}|\n {0,4}" + (f"|[{escaped}]" if escaped else "")),
    )


def html_code_blocks(pre_open: str, entities: str = "") -> tuple[Verbatim, ...]:
    """The HTML side's region: the body of a code block opened by `pre_open`, its escaped
    characters the `entities` (an alternation, "amp|lt|gt"), that end a run."""
    apart = rf"&(?:{entities});|\n" if entities else r"\n"
    return (Verbatim(start=pre_open, end="</code></pre>", content="CODELINE", apart=apart),)
