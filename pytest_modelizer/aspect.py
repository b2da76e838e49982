"""Aspects: which part of a behaviour a model learns (the whole output, or only how it fails)."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.tokenizer import FAILURE_TOKEN, Tokenized, behaviour_tokens, tokens_behaviour

if TYPE_CHECKING:
    from pytest_modelizer.spec import ModelSpec
    from pytest_modelizer.subject import Subject

ASPECTS = ("output", "failure")
# The failure aspect's token for "the program succeeded" (no lexer can produce it either).
OK_TOKEN = "\u27c2OK"
OK_LABEL = "ok"
# Kinds the runner itself assigns: their messages (seconds, exit codes) never split a kind.
RUNNER_KINDS = ("timeout", "crash", "bad-output", "output-too-large", "cannot-start")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


# A quoted value in a message, most often the input's content echoed back (`KeyError: 'name'`,
# `invalid literal for int() with base 10: 'x1'`); not the apostrophe of a word (`can't`).
_QUOTED = re.compile(r"""(?<![\w'"])(?:'[^'\n]*'|"[^"\n]*")(?![\w'"])""")
# The default failure kinds, as the key of a failure model of a subject that uses them records them.
# A quoted value the message's length limit cut short: from its quote to the end.
_CUT_QUOTE = re.compile(r"""(?<![\w'"])['"][^'"\n]*$""")
DEFAULT_FAILURE_KINDS = "type: first clause, quoted values as 'S' (whole), numbers as N"


def numbered_failure_kind(behaviour: Behaviour) -> str:
    """Exception type plus the first clause of its message, numbers replaced by N ("ok" if none).

    The default before quoted values were replaced too: the bundled subjects' shipped failure
    models learnt these kinds, and keep them.
    """
    return _first_clause_kind(behaviour, quoted_values=False)


def default_failure_kind(behaviour: Behaviour) -> str:
    """`numbered_failure_kind` with quoted values replaced by 'S' (`KeyError: 'S'`).

    A message that echoes the input's content would otherwise make a kind per value: a failure
    model would have to predict content a placeholder hides, and the cases of a test would be
    spent on one failure with different names.
    """
    return _first_clause_kind(behaviour, quoted_values=True)


def _first_clause_kind(behaviour: Behaviour, quoted_values: bool) -> str:
    if behaviour.ok:
        return OK_LABEL
    failure = str(behaviour.failure)
    clause = behaviour.message.split(";")[0].strip()
    if failure in RUNNER_KINDS or failure.startswith("exit ") or not clause:
        return failure
    if quoted_values:
        # Values first, then the cut to 80 characters: a long echoed value must not lose its
        # closing quote to the cut and make a kind of its own.
        clause = _CUT_QUOTE.sub("'S'", _QUOTED.sub("'S'", clause))
    return f"{failure}: {_NUMBER.sub('N', clause)[:80]}"


def failure_kind(subject: "Subject", behaviour: Behaviour) -> str:
    """The subject's label for how a behaviour fails: "ok", or a kind such as "ValueError: ..."."""
    if behaviour.ok:
        return OK_LABEL
    return (subject.failure_kind or default_failure_kind)(behaviour)


def is_rejection(subject: "Subject", behaviour: Behaviour) -> bool:
    """Whether the program rejected the input as outside its language (not a failure worth a case)."""
    return not behaviour.ok and behaviour.failure in subject.rejections


def project(spec: "ModelSpec", behaviour: Behaviour) -> Behaviour:
    """The part of a behaviour the model's aspect covers (what predictions are compared on).

    The output aspect models an output, or a failure by its type alone (`behaviour_tokens`): the
    message is not predicted, so it is not compared either.
    """
    if not spec.is_failure:
        return behaviour if behaviour.ok else Behaviour(failure=behaviour.failure)
    return Behaviour.success("") if behaviour.ok else Behaviour(failure=failure_kind(spec.subject, behaviour))


def label_tokens(label: str) -> tuple[str, ...]:
    """Tokens of a failure-aspect label ("ok" or a kind)."""
    return (OK_TOKEN,) if label == OK_LABEL else (FAILURE_TOKEN, label)


def behaviour_side(spec: "ModelSpec", behaviour: Behaviour, mapping: dict[str, str] | None,
                   fresh_as_words: bool = False) -> Tokenized:
    """Tokens of the behaviour side of a pair under the model's aspect (`fresh_as_words`: as a target,
    see `LarkTokenizer.tokenize_with`; `mapping` None: as a query, see `behaviour_tokens`)."""
    if not spec.is_failure:
        return behaviour_tokens(spec.subject.output_tokenizer, behaviour, mapping, fresh_as_words)
    return Tokenized(label_tokens(failure_kind(spec.subject, behaviour)), dict(mapping or {}))


# A model's meta says how its queries were tokenized: with `QUERY_REGIONS` true, an inverse
# model's query is tokenized on its own as an input is, so a code block's lines are placeholders
# (`LarkTokenizer.verbatim`). Models trained before it read them as an empty mapping's other side,
# where no region applies (a code block word by word), and keep reading them so.
QUERY_REGIONS = "query_regions"


def query_mapping(query_regions: bool) -> dict[str, str] | None:
    """The `mapping` that tokenizes an inverse model's query as the model was trained to read it."""
    return None if query_regions else {}


def side_behaviour(spec: "ModelSpec", tokens: Sequence[str], mapping: dict[str, str]) -> Behaviour:
    """The (projected) behaviour that predicted behaviour-side tokens describe."""
    if not spec.is_failure:
        return tokens_behaviour(spec.subject.output_tokenizer, tokens, mapping)
    if tokens and tokens[0] == FAILURE_TOKEN:
        return Behaviour(failure=tokens[1] if len(tokens) > 1 else "unknown")
    return Behaviour.success("")
