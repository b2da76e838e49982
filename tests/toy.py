"""A toy subject for the plugin's tests: "shout", small enough to train a model in seconds.

`shout` splits its input at spaces, turns `!word` into `<b>word</b>`, joins the parts with `|`
and raises ValueError on a digit-only word. Its grammar only produces lowercase words, so a
model trained on it never sees digits or capitals.

Importing this module imports neither torch nor fuzzingbook.
"""
from __future__ import annotations

from pathlib import Path

from pytest_modelizer import LarkTokenizer, Subject, TrainingConfig
from pytest_modelizer.config import ModelConfig


def shout(text: str) -> str:
    out = []
    for part in text.split(" "):
        if part.startswith("!"):
            out.append("<b>" + part[1:] + "</b>")
        elif part.isdigit():
            raise ValueError("numbers are not words")
        else:
            out.append(part)
    return "|".join(out)


def strict_shout(text: str) -> str:
    """`shout` that also refuses a doubled bang (KeyError) and an empty word after a bang (IndexError)."""
    for part in text.split(" "):
        if part.startswith("!!"):
            raise KeyError("double bang")
        if part == "!":
            raise IndexError("bang without a word")
    return shout(text)


def vowel_marks(text: str) -> str:
    """Marks each word by its first letter: `+owl` for a vowel, `-cat` for a consonant. The toy
    tokenizers make every word a placeholder, so the mark depends on content the model cannot see."""
    return " ".join(("+" if word[:1] in "aeiou" else "-") + word for word in text.split(" "))


def escaping_shout(text: str) -> str:
    """`shout` writing `&` as HTML does. Its words may hold `'` and `&`, which its grammar never makes."""
    return shout(text).replace("&", "&amp;")


def squeezing_shout(text: str) -> str:
    """`escaping_shout` writing a run of `'` as one, as HTML does with spaces: it copies `'` alone only."""
    import re

    return re.sub("'+", "'", escaping_shout(text))


def negating_shout(text: str) -> str:
    """`shout` writing the word `not` as `~`, bold or not. Its tokenizer makes `not` a token of its
    own except after a bang, where it is a word's value, which its grammar never makes."""
    return "|".join("~" if part == "not" else part.replace(">not<", ">~<") for part in shout(text).split("|"))


def stamped_shout(text: str) -> str:
    """`shout` followed by the time of the call: another answer each time it runs."""
    import time

    return shout(text) + "|" + str(time.monotonic_ns())


def setwise_shout(text: str) -> str:
    """`shout` with its parts in the order of a set: it follows the process's hash seed."""
    return "|".join(set(shout(text).split("|")))


def printing_shout(text: str) -> None:
    """`shout` printed rather than returned: a mistake every run of it shows."""
    print(shout(text))


def sleepy(text: str) -> str:
    """Sleeps a minute on "sleep", else echoes (a worker busy in a long call)."""
    import time

    if text == "sleep":
        time.sleep(60)
    return text


def hang(text: str) -> str:
    """A program that never answers (for timeout tests)."""
    import time

    time.sleep(60)
    return text


GRAMMAR = {
    "<start>": ["<item>", "<item> <start>"],
    "<item>": ["<w>", "!<w>"],
    "<w>": ["cat", "dog", "owl", "bee", "ant", "emu"],
}

# Both tokenizers end in a low-priority catch-all, so every string tokenizes.
INPUT_TOKENIZER = LarkTokenizer('WORD: /[a-z]+/\nBANG: "!"\nSP: " "\nOTHER.-1: /./s', content=("WORD",))
OUTPUT_TOKENIZER = LarkTokenizer('WORD: /[a-z]+/\nTAG: /<\\/?b>/\nBAR: "|"\nOTHER.-1: /./s', content=("WORD",))

TINY_MODEL = ModelConfig(d_model=64, n_heads=4, enc_layers=1, dec_layers=1, d_ff=128, max_len=64)

# Enough to learn shout well: generous patience so early-stopping tweaks do not matter.
TRAINING = TrainingConfig(
    pairs=600, max_nonterminals=5, max_minutes=1.5, max_epochs=200, patience=30, model=TINY_MODEL
)

# For tests that only need *a* model quickly (its accuracy is irrelevant there).
QUICK_TRAINING = TrainingConfig(
    pairs=200, max_nonterminals=5, max_minutes=0.3, max_epochs=3, patience=30, model=TINY_MODEL
)


# Rare alternatives reach strict_shout's three failures (about 15 % of fuzzed inputs fail).
FAILING_GRAMMAR = {
    "<start>": ["<item>", "<item> <start>"],
    "<item>": ["<w>", "!<w>", ("<n>", {"prob": 0.05}), ("!!<w>", {"prob": 0.05}), ("!", {"prob": 0.03})],
    "<w>": ["cat", "dog", "owl", "bee", "ant", "emu"],
    "<n>": ["1", "42", "7"],
}
FAILING_INPUT_TOKENIZER = LarkTokenizer(
    'WORD: /[a-z]+/\nNUM: /[0-9]+/\nBANG: "!"\nSP: " "\nOTHER.-1: /./s', content=("WORD",)
)
FAILING_TRAINING = TrainingConfig(
    pairs=400, max_nonterminals=5, max_minutes=0.5, max_epochs=30, patience=30, model=TINY_MODEL
)


def make_subject(**changes) -> Subject:
    """The shout subject, with `changes` to any Subject field."""
    fields = dict(
        name="shout",
        program=shout,
        grammar=GRAMMAR,
        input_tokenizer=INPUT_TOKENIZER,
        output_tokenizer=OUTPUT_TOKENIZER,
        program_version="1.0",
        training=TRAINING,
    )
    fields.update(changes)
    return Subject(**fields)


SUBJECT = make_subject()
FAILING_SUBJECT = make_subject(
    name="strict-shout", program=strict_shout, grammar=FAILING_GRAMMAR, input_tokenizer=FAILING_INPUT_TOKENIZER,
    training=FAILING_TRAINING, failure_training=FAILING_TRAINING,
)
QUICK_SUBJECT = make_subject(training=QUICK_TRAINING)
VOWEL_SUBJECT = make_subject(
    name="vowel-marks", program=vowel_marks, grammar={**GRAMMAR, "<item>": ["<w>"]},
    output_tokenizer=LarkTokenizer('WORD: /[a-z]+/\nMARK: /[-+]/\nSP: " "\nOTHER.-1: /./s', content=("WORD",)),
    training=QUICK_TRAINING,
)

ESCAPING_SUBJECT = make_subject(
    name="escaping-shout", program=escaping_shout,
    input_tokenizer=LarkTokenizer('WORD: /[a-z\'&]+/\nBANG: "!"\nSP: " "\nOTHER.-1: /./s', content=("WORD",)),
    training=QUICK_TRAINING,
)

STAMPED_SUBJECT = make_subject(name="stamped-shout", program=stamped_shout, training=QUICK_TRAINING)
SETWISE_SUBJECT = make_subject(name="setwise-shout", program=setwise_shout, training=QUICK_TRAINING)
SQUEEZING_SUBJECT = make_subject(name="squeezing-shout", program=squeezing_shout,
                                 input_tokenizer=ESCAPING_SUBJECT.input_tokenizer, training=QUICK_TRAINING)
NEGATING_SUBJECT = make_subject(
    name="negating-shout", program=negating_shout, grammar={**GRAMMAR, "<item>": ["<w>", "!<w>", "not"]},
    input_tokenizer=LarkTokenizer('NOT.2: /(?<!!)not(?![a-z])/\nWORD: /[a-z]+/\nBANG: "!"\nSP: " "\nOTHER.-1: /./s',
                                  content=("WORD",)),
    output_tokenizer=LarkTokenizer('WORD: /[a-z]+/\nTAG: /<\\/?b>/\nBAR: "|"\nOTHER.-1: /./s', content=("WORD",)),
    training=QUICK_TRAINING,
)


def pytest_modelizer_subjects(config):
    return [SUBJECT]


TESTS_DIR = Path(__file__).resolve().parent


def conftest_source(subject: str = "toy.SUBJECT", extra: str = "") -> str:
    """Source of a conftest.py (for pytester or `modelizer --conftest`) declaring `subject`.

    `subject` is a Python expression evaluated with this module imported as `toy`.
    """
    return (
        "import sys\n"
        f"sys.path.insert(0, {str(TESTS_DIR)!r})\n"
        "import toy\n"
        f"{extra}\n"
        "def pytest_modelizer_subjects(config):\n"
        f"    return [{subject}]\n"
    )


def known_subjects() -> str:
    """What an unknown-subject error lists beside the toy: every bundled subject and `shout`, sorted."""
    from importlib.metadata import entry_points

    return ", ".join(sorted({e.name for e in entry_points(group="pytest_modelizer.subjects")} | {"shout"}))
