"""When to trust a model's answer: familiar input shapes and a calibrated confidence threshold.

A model is confidently wrong on inputs unlike anything it was trained on (a construct the
grammar never makes, two blocks where the grammar makes one), so an answer is trusted only when
both hold:

- *familiar*: every three consecutive source tokens (placeholders by their type, plus the start
  and the end) occur in the training sources (every two, where the training sample holds too
  few of the grammar's trigrams: `checked_grams`), no tag or bracket nests deeper than any training
  source nested it (a `<strong>` inside a `<strong>`, each trigram familiar), and, for a
  forward model, every character of a placeholder's value is one the training values of its
  type held or one the program was seen to copy as is there (`content_check.probe_content`:
  `don't` is one word to markdown-it, but pandoc writes its quote as `’`; `&auml;` in a link is
  decoded), a run of one character only
  where training values held one or the program was seen to copy one (`content_check.probe_runs`:
  pandoc's HTML reader collapses `a   b` in a code span), and no value is a word the
  vocabularies spell as a token that the program was seen to treat specially in its context
  (`content_check.probe_words`: latexify writes `torch.sum(x)` as `\\sum x`, but copies the
  `is` of `is_empty`). All are stored with the model.
- *a familiar answer*: every three (or, as for the source, two) consecutive tokens of the answer
  occur in the training targets. A model that is sure of an input it knows can still emit an
  answer no program output looks like (HTML whose `</code>` is missing, lists that do not nest); the other direction's
  model may even lead such an answer back. Nor may it leave a tag or a bracket open, or close one
  it never opened, where every training target nests it (`</ol>` with no `<ol>` before it, each
  of its trigrams familiar). Stored with models calibrated since; older ones skip them.
- *confident*: the decoder's lowest token probability reaches the threshold calibrated on the
  held-out pairs, the lowest one at which answers on familiar held-out inputs were at least
  `CALIBRATION_TARGET` exact.
- *consistent*, where the subject has a model of the other direction: that model, asked about
  the answer, leads back to an input of the same shape (placeholders by type and in the same
  order, case ignored). A wrong answer rarely leads back to the question; a right one often
  leads back to a differently written input (`*` for `-` in a list). Spellings the program was seen to treat alike count as
  the same (`Spellings`: learned from training pairs, each in the context of the token before it,
  so that `1. ` and `2. ` are alike after a list's first item and not before it, where they
  set its start). With that model there, the threshold is the one calibrated with it
  (`calibrate_paired`: among the held-out answers it leads back).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Iterable, Sequence

from pytest_modelizer.errors import UncoveredInputError
from pytest_modelizer.tokenizer import FAILURE_TOKEN

if TYPE_CHECKING:
    from pytest_modelizer.evaluate import Scored
    from pytest_modelizer.mock import MockProgram, Prediction

# Answers at or above a model's threshold were at least this exact on its held-out pairs.
CALIBRATION_TARGET = 0.99
GRAM = 3
# A trigram check that refuses more of the held-out inputs than this checks pairs (`checked_grams`).
SPARSE_GRAMS = 0.1
_START, _END = "\u27e8s\u27e9", "\u27e8/s\u27e9"


def is_placeholder(token: str) -> bool:
    """Whether a token is a placeholder `TYPE_n`."""
    kind, _, number = token.rpartition("_")
    return bool(kind) and number.isdigit()


def placeholder_kind(token: str) -> str:
    """The type of a placeholder (`TEXT_3` -> `TEXT`)."""
    return token.rpartition("_")[0]


def char_class(ch: str) -> str:
    """A character as placeholder values are checked: letters (of any script) alike, digits alike, others each itself."""
    return "letter" if ch.isalpha() else "digit" if ch.isdigit() else ch


def content_meta(content: dict[str, Iterable[str]], words: "SpecialWords | None" = None,
                 runs: dict[str, Iterable[str]] | None = None) -> dict:
    """The `calibration` entries for what each placeholder type's values may hold (`Familiarity.content`,
    `.runs`) and which words its values may not be where (`Familiarity.words`)."""
    meta: dict = {"content_classes": {kind: sorted(classes) for kind, classes in sorted(content.items())}}
    if runs is not None:
        meta["content_runs"] = {kind: sorted(chars) for kind, chars in sorted(runs.items())}
    if words is not None:
        meta["special_words"] = {kind: {word: [list(c) for c in sorted(contexts)]
                                        for word, contexts in sorted(by_word.items())}
                                 for kind, by_word in sorted(words.items())}
    return meta


# Placeholder type -> word -> the contexts (token before, token after) where the program copied
# it as is; a word is listed only where it did not somewhere (`content_check.probe_words`).
SpecialWords = dict[str, dict[str, frozenset[tuple[str, str]]]]


# Markup that nests in an answer's text: an XML-like tag (not a self-closing one), a bracket, or a
# double quote or backtick (each one opens where none is open and closes the open one: a quoted
# name or a code span left open is as broken as a bracket left open).
_NESTING = re.compile(r"<(/?)([A-Za-z][\w:-]*)(?:\s[^<>]*)?(?<!/)>|([(\[{])|([)\]}])|([\"`])")
_OPENER = {")": "(", "]": "[", "}": "{"}
_BRACKETS = ("(", "[", "{", '"', "`")
# A tag or bracket is checked once this many training targets hold it, every one of them nested.
NESTING_SUPPORT = 20


def _open_counts(tokens: Sequence[str]) -> Iterable[tuple[str, int]]:
    """Each tag (by lower-case name) or bracket of the text of `tokens`, in order, with how many of
    its kind are open just after it."""
    depth: Counter = Counter()
    for m in _NESTING.finditer("".join(tokens)):
        slash, name, opening, closing, quote = m.groups()
        if quote:
            depth[quote] ^= 1
            yield quote, depth[quote]
            continue
        kind = name.lower() if name else opening or _OPENER[closing]
        depth[kind] += -1 if slash or closing else 1
        yield kind, depth[kind]


def nesting(tokens: Sequence[str]) -> tuple[set[str], set[str]]:
    """The tags (by lower-case name) and brackets in the text of `tokens`, and those of them that do
    not nest there: closed before they were opened, or left open."""
    final: dict[str, int] = {}
    bad = set()
    for kind, open_now in _open_counts(tokens):
        final[kind] = open_now
        if open_now < 0:
            bad.add(kind)
    return set(final), bad | {kind for kind, d in final.items() if d}


def depths(tokens: Sequence[str]) -> Counter:
    """How deep each tag (by lower-case name) and bracket of the text of `tokens` nests: its most open at once."""
    deepest: Counter = Counter()
    for kind, open_now in _open_counts(tokens):
        deepest[kind] = max(deepest[kind], open_now)
    return deepest


def nested_kinds(targets: Iterable[Sequence[str]]) -> frozenset[str]:
    """The tags and brackets at least `NESTING_SUPPORT` of `targets` hold, every one of them nested."""
    held: Counter = Counter()
    broken: set[str] = set()
    for tokens in targets:
        kinds, bad = nesting(tokens)
        held.update(kinds)
        broken |= bad
    return frozenset(k for k, n in held.items() if n >= NESTING_SUPPORT and k not in broken)


def placed_grams(tokens: Sequence[str], tags: Iterable[str], n: int = GRAM) -> list[tuple[str, ...]]:
    """The n-grams of `tokens` (as `grams`), each led by the innermost of `tags` open at its second token ("" if none).

    A trigram says what follows what; the tag around it says in which block: pandoc writes blank
    lines inside <code>, never inside <p>, and an answer "<p>a\\n\\n\\nb</p>" holds only trigrams
    some <code> of training held.
    """
    tags = frozenset(tags)
    starts, offset = [], 0
    for token in tokens:
        starts.append(offset)
        offset += len(token)
    # (offset where a tag ends, kind, opens) for the tags checked, in order.
    events = [(m.end(), m.group(2).lower(), not m.group(1)) for m in _NESTING.finditer("".join(tokens))
              if m.group(2) and m.group(2).lower() in tags]
    inner, stack, e = [], [], 0
    for start in [*starts, offset]:  # and the end, the second token of the last pair
        while e < len(events) and events[e][0] <= start:
            _, kind, opens = events[e]
            if opens:
                stack.append(kind)
            elif kind in stack:
                del stack[len(stack) - 1 - stack[::-1].index(kind)]
            e += 1
        inner.append(stack[-1] if stack else "")
    # Gram i's second token is tokens[i] (the end, for the last pair).
    return [(inner[i], *gram) for i, gram in enumerate(grams(tokens, n))]


def _describe(kind: str) -> str:
    return kind if kind in _BRACKETS else f"<{kind}>"


def shape(tokens: Sequence[str]) -> tuple[str, ...]:
    """Source tokens with placeholders reduced to their type (`TEXT_3` -> `TEXT_`), framed by start and end."""
    return (_START, *(placeholder_kind(token) + "_" if is_placeholder(token) else token for token in tokens), _END)


def grams(tokens: Sequence[str], n: int = GRAM) -> Iterable[tuple[str, ...]]:
    framed = shape(tokens)
    return zip(*(framed[i:] for i in range(n)))


def checked_grams(train: Sequence[Sequence[str]],
                  held_out: Sequence[Sequence[str]] = ()) -> tuple[int, frozenset[tuple[str, ...]]]:
    """How many tokens in a row to check, and the `train` sequences' runs of that many: `GRAM`, or
    one fewer where more than `SPARSE_GRAMS` of `held_out` (drawn from the same distribution) hold
    a run of `GRAM` that `train` does not.

    An n-gram check tells an input unlike the training ones (a construct the grammar never makes)
    only where the training sample holds nearly every n-gram the grammar makes. A subject whose
    tokens are characters (`snake_case` -> `SnakeCase`, letter by letter) makes more letter
    trigrams than 18,000 inputs hold: a third of its held-out inputs, and two thirds of their
    outputs, held one never seen, right answers all the same. There the check refused what the
    model knew, and pairs of tokens are what the sample does hold.
    """
    seen = frozenset(g for tokens in train for g in grams(tokens))
    missed = sum(1 for tokens in held_out if any(g not in seen for g in grams(tokens)))
    if missed <= SPARSE_GRAMS * len(held_out):
        return GRAM, seen
    return GRAM - 1, frozenset(g for tokens in train for g in grams(tokens, GRAM - 1))


# A rule of how outputs copy placeholders holds for a kind after a token when at most this share of
# the training placeholders there break it (a program's rare quirk should not undo a rule its
# outputs keep: 2 % of pandoc-html's training code lines follow a MyST directive, "```{tip}", which
# its tokenizer takes for a fence and pandoc does not), and is learned only where training saw
# the kind there this often.
COPY_TOLERANCE = 0.025
COPY_EVIDENCE = 20
COPIES_ALL, COPIES_AT_MOST = "each", "at most"  # copied at least once; not more often than the input held it
# Every placeholder of a kind in an output is one of its input's (kept under the context "").
COPIES_GIVEN = "from the input"

CopyRules = dict[str, dict[str, frozenset[str]]]  # kind -> source token before it -> rules


def _copy_contexts(src: Sequence[str]) -> dict[str, set[tuple[str, str]]]:
    """Each placeholder of `src` -> the (kind, token before it) of its occurrences (token shapes)."""
    framed = shape(src)
    contexts: dict[str, set[tuple[str, str]]] = {}
    for i, token in enumerate(src):
        if is_placeholder(token):
            contexts.setdefault(token, set()).add((placeholder_kind(token), framed[i]))
    return contexts


def copy_rules(pairs: Iterable[tuple[Sequence[str], Sequence[str]]]) -> dict[str, dict[str, list[str]]]:
    """How every training output copied its source's placeholders, per kind and the token before it:
    COPIES_ALL (each at least once), COPIES_AT_MOST (none more often than the source held it); per
    kind (under ""), COPIES_GIVEN (the output held none its source lacked).

    By the token before: a program may drop or repeat a kind in one place (markdown-it drops a
    fence's words after the first, writes an autolink's URL twice) and copy it once everywhere
    else. Failing pairs are left out.
    """
    seen: Counter = Counter()
    broken = {COPIES_ALL: Counter(), COPIES_AT_MOST: Counter(), COPIES_GIVEN: Counter()}
    for src, tgt in pairs:
        if tgt[:1] == (FAILURE_TOKEN,):
            continue
        copied = Counter(t for t in tgt if is_placeholder(t))
        given = Counter(t for t in src if is_placeholder(t))
        seen.update({(placeholder_kind(t), "") for t in copied})
        broken[COPIES_GIVEN].update({(placeholder_kind(t), "") for t in copied if not given[t]})
        for placeholder, contexts in _copy_contexts(src).items():
            seen.update(contexts)
            if not copied[placeholder]:
                broken[COPIES_ALL].update(contexts)
            if copied[placeholder] > given[placeholder]:
                broken[COPIES_AT_MOST].update(contexts)
    rules: dict[str, dict[str, list[str]]] = {}
    for (kind, before), n in sorted(seen.items()):
        kept = sorted(rule for rule in ((COPIES_GIVEN,) if before == "" else (COPIES_ALL, COPIES_AT_MOST))
                      if broken[rule][(kind, before)] <= COPY_TOLERANCE * n)
        if kept and n >= COPY_EVIDENCE:
            rules.setdefault(kind, {})[before] = kept
    return rules


def broken_copy(rules: CopyRules, answer: Sequence[str], source: Sequence[str]) -> str | None:
    """Why `answer` copies `source`'s placeholders otherwise than every training output did (None: it does not)."""
    copied = Counter(t for t in answer if is_placeholder(t))
    given = Counter(t for t in source if is_placeholder(t))
    for placeholder in sorted(copied):
        kind = placeholder_kind(placeholder)
        if not given[placeholder] and COPIES_GIVEN in rules.get(kind, {}).get("", ()):
            return (f"an answer holding {placeholder}, which the input does not: every training output's "
                    f"{kind}s were its input's")
    for placeholder, contexts in sorted(_copy_contexts(source).items()):
        kept = [rules.get(kind, {}).get(before, frozenset()) for kind, before in contexts]
        kind = placeholder_kind(placeholder)
        if not copied[placeholder] and any(COPIES_ALL in k for k in kept):
            return (f"an answer without the input's {placeholder}, where every training output held each {kind} "
                    f"written where it is")
        if copied[placeholder] > given[placeholder] and all(COPIES_AT_MOST in k for k in kept):
            return (f"an answer holding {placeholder} {copied[placeholder]} times, the input {given[placeholder]}: "
                    f"no training output held a {kind} written where it is more often than its input")
    return None


@dataclass
class Familiarity:
    """The source token trigrams a model was trained on, and what its placeholders' values may hold."""

    seen: frozenset[tuple[str, ...]]
    # Placeholder type -> the character classes (`char_class`) its values may hold; None: not checked
    # (an inverse model, or one calibrated before the check existed).
    content: dict[str, frozenset[str]] | None = None
    # The training targets' trigrams; None: not checked (a model calibrated before the check existed).
    answers: frozenset[tuple[str, ...]] | None = None
    # The words the program treats specially in a placeholder; None: not checked (as for `content`).
    words: SpecialWords | None = None
    # The tags and brackets every training target nests; None: not checked (as for `answers`).
    nested: frozenset[str] | None = None
    # Placeholder type -> the characters whose runs (`  `, `--`) its values may hold: the program
    # may collapse a run it copies alone (HTML's spaces); None: not checked (as for `content`).
    runs: dict[str, frozenset[str]] | None = None
    # How every training output copied the source's placeholders (`copy_rules`); None: not checked
    # (a model calibrated before the check existed).
    copies: CopyRules | None = None
    # Tag or bracket -> the deepest any training source nested it (`depths`): a query nesting one
    # deeper (a <strong> inside a <strong>, where training made none) holds a construct the grammar
    # never made, whose every trigram may still be familiar; None: not checked (as for `copies`).
    depth: dict[str, int] | None = None
    # The training targets' trigrams, each with the innermost tag of `nested` around it
    # (`placed_grams`); None: not checked (a model calibrated before the check existed).
    placed: frozenset[tuple[str, ...]] | None = None
    # How many tokens in a row `seen`, and `answers` and `placed`, hold (`checked_grams`).
    order: int = GRAM
    answer_order: int = GRAM
    # The tags and brackets every training source nests; None: not checked (a model calibrated before
    # the check existed). A query that leaves one open or closes one never opened (`SELECT a FROM t)`,
    # a fragment cut out of a longer text) is no input the grammar makes; a model may answer it as the
    # balanced query it resembles, and surely.
    source_nested: frozenset[str] | None = None

    @classmethod
    def learn(cls, sources: Iterable[Sequence[str]], content: dict[str, Iterable[str]] | None = None,
              targets: Iterable[Sequence[str]] | None = None,
              words: dict[str, dict[str, Iterable[tuple[str, str]]]] | None = None,
              runs: dict[str, Iterable[str]] | None = None,
              held_out: Iterable[tuple[Sequence[str], Sequence[str]]] = ()) -> "Familiarity":
        """From the training `sources` (and `targets`); `held_out` pairs of the same distribution, if
        given, choose how many tokens in a row are checked (`checked_grams`)."""
        sources = list(sources)
        held_out = list(held_out)
        order, seen = checked_grams(sources, [src for src, _ in held_out])
        deepest: Counter = Counter()
        for tokens in sources:
            deepest |= depths(tokens)
        answers = nested = copies = placed = None
        answer_order = GRAM
        if targets is not None:
            targets = list(targets)
            answer_order, answers = checked_grams(targets, [tgt for _, tgt in held_out])
            nested = nested_kinds(targets)
            copies = copy_rules(zip(sources, targets))
            tags = _tags(nested)
            placed = (frozenset(g for tokens in targets for g in placed_grams(tokens, tags, answer_order))
                      if tags else None)
        return cls(seen, _frozen(content), answers, _frozen_words(words), nested, _frozen(runs),
                   _frozen_copies(copies), dict(deepest), placed, order, answer_order, nested_kinds(sources))

    @classmethod
    def from_meta(cls, meta: dict) -> "Familiarity | None":
        calibration = meta.get("calibration") or {}
        stored = calibration.get("source_trigrams")
        if stored is None:
            return None
        answers = calibration.get("target_trigrams")
        return cls(frozenset(tuple(g) for g in stored), _frozen(calibration.get("content_classes")),
                   None if answers is None else frozenset(tuple(g) for g in answers),
                   _frozen_words(calibration.get("special_words")),
                   None if calibration.get("nested") is None else frozenset(calibration["nested"]),
                   _frozen(calibration.get("content_runs")), _frozen_copies(calibration.get("copies")),
                   calibration.get("source_depths"),
                   None if calibration.get("placed_target_trigrams") is None
                   else frozenset(tuple(g) for g in calibration["placed_target_trigrams"]),
                   calibration.get("source_gram_order", GRAM), calibration.get("target_gram_order", GRAM),
                   None if calibration.get("source_nested") is None else frozenset(calibration["source_nested"]))

    def to_meta(self) -> dict:
        """The `calibration` entries that store this."""
        # The keys keep their names from when every check was of three tokens; models stored then
        # have no orders, which are three.
        meta: dict = {"source_trigrams": [list(g) for g in sorted(self.seen)],
                      "source_gram_order": self.order, "target_gram_order": self.answer_order}
        if self.content is not None:
            meta.update(content_meta(self.content, self.words, self.runs))
        if self.answers is not None:
            meta["target_trigrams"] = [list(g) for g in sorted(self.answers)]
        if self.nested is not None:
            meta["nested"] = sorted(self.nested)
        if self.placed is not None:
            meta["placed_target_trigrams"] = [list(g) for g in sorted(self.placed)]
        if self.depth is not None:
            meta["source_depths"] = dict(sorted(self.depth.items()))
        if self.source_nested is not None:
            meta["source_nested"] = sorted(self.source_nested)
        if self.copies is not None:
            meta["copies"] = {kind: {before: sorted(rules) for before, rules in sorted(by_before.items())}
                              for kind, by_before in sorted(self.copies.items())}
        return meta

    def unfamiliar(self, tokens: Sequence[str], mapping: dict[str, str] | None = None) -> str | None:
        """Why a query (its source tokens, its placeholders' values) is unlike the training sources; None if it is not."""
        for gram in grams(tokens, self.order):
            if gram not in self.seen:
                return f"a token sequence never seen in training: {' '.join(gram)!r}"
        if self.depth is not None:
            for kind, deepest in sorted(depths(tokens).items()):
                if kind in self.depth and deepest > self.depth[kind]:
                    return (f"{_describe(kind)} nested {deepest} deep, where no training input nested it more "
                            f"than {self.depth[kind]} deep")
        if self.source_nested:
            unnested = _unnested(tokens, self.source_nested, "a query", "input")
            if unnested:
                return unnested
        if self.content is not None:
            for placeholder, value in sorted((mapping or {}).items()):
                allowed = self.content.get(placeholder_kind(placeholder), frozenset())
                odd = next((ch for ch in value if char_class(ch) not in allowed), None)
                if odd is not None:
                    return (f"{placeholder} holds {odd!r} ({value!r}): no training value did, and the program was "
                            f"not seen to copy it as is")
        if self.runs is not None:
            for placeholder, value in sorted((mapping or {}).items()):
                copied = self.runs.get(placeholder_kind(placeholder), frozenset())
                run = next((a for a, b in zip(value, value[1:]) if a == b and char_class(a) == a and a not in copied), None)
                if run is not None:
                    return (f"{placeholder} holds a run of {run!r} ({value!r}): no training value did, and the program "
                            f"was not seen to copy one as is")
        if self.words:
            framed = shape(tokens)
            for i, token in enumerate(tokens):
                value = (mapping or {}).get(token)
                copied = self.words.get(placeholder_kind(token), {}).get(value) if value is not None else None
                if copied is not None and (framed[i], framed[i + 2]) not in copied:
                    return (f"{token} is {value!r}, a word the program was seen to treat specially in a placeholder "
                            f"(not only copy it), and not seen to copy it between {framed[i]!r} and {framed[i + 2]!r}")
        return None

    def unfamiliar_answer(self, tokens: Sequence[str], source: Sequence[str] = ()) -> str | None:
        """Why an answer (the predicted tokens, for the `source` tokens) is unlike every training target; None if it is not."""
        if self.copies and tokens[:1] != (FAILURE_TOKEN,):
            broken = broken_copy(self.copies, tokens, source)
            if broken:
                return broken
        if self.answers is not None:
            for gram in grams(tokens, self.answer_order):
                if gram not in self.answers:
                    return f"an answer holding a token sequence no training output held: {' '.join(gram)!r}"
        if self.nested:
            unnested = _unnested(tokens, self.nested, "an answer", "output")
            if unnested:
                return unnested
        if self.placed is not None and self.nested:
            for tag, *gram in (g for g in placed_grams(tokens, _tags(self.nested), self.answer_order)
                               if g not in self.placed):
                where = f"inside <{tag}>" if tag else "outside every tag"
                return f"an answer holding a token sequence no training output held {where}: {' '.join(gram)!r}"
        return None


def _unnested(tokens: Sequence[str], kinds: frozenset[str], what: str, side: str) -> str | None:
    """Why `tokens` (`what`: a query, an answer) are unfamiliar for not nesting one of `kinds`; None if they nest them all."""
    bad = sorted(nesting(tokens)[1] & kinds)
    if not bad:
        return None
    return (f"{what} that does not nest {' '.join(map(_describe, bad))} (closed before opened, or left open), "
            f"where every training {side} did")


def _tags(kinds: Iterable[str]) -> frozenset[str]:
    """The tags among nesting kinds (the others are brackets)."""
    return frozenset(kind for kind in kinds if kind not in _BRACKETS)


def _frozen(content: dict[str, Iterable[str]] | None) -> dict[str, frozenset[str]] | None:
    return None if content is None else {kind: frozenset(classes) for kind, classes in content.items()}


def _frozen_copies(copies: dict[str, dict[str, Iterable[str]]] | None) -> CopyRules | None:
    return None if copies is None else {kind: _frozen(by_before) for kind, by_before in copies.items()}


def _frozen_words(words: dict[str, dict[str, Iterable[Sequence[str]]]] | None) -> SpecialWords | None:
    return None if words is None else {kind: {word: frozenset(tuple(c) for c in contexts)
                                              for word, contexts in by_word.items()}
                                       for kind, by_word in words.items()}


# Two spellings are alike once this many distinct training pairs show the program treating them alike.
SPELLING_EVIDENCE = 3
# Inputs compared per output: a frequent output (an empty one) would otherwise cost a quadratic number.
SPELLING_GROUP = 40


@dataclass
class Spellings:
    """Source tokens the program treats alike in a context: `(token before, one, other)` triples.

    Learned from training pairs: two inputs of the same length with the same output, differing
    only where one token stands for another (after the same token), show the program treats the
    two alike there.
    """

    alike: frozenset[tuple[str, str, str]] = field(default_factory=frozenset)

    @classmethod
    def learn(cls, pairs: Iterable[tuple[Sequence[str], Sequence[str]]]) -> "Spellings":
        sources_by_output: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        for src, tgt in pairs:
            sources_by_output.setdefault(tuple(tgt), set()).add(shape(src))
        evidence: Counter = Counter()
        for sources in sources_by_output.values():
            for a, b in combinations(sorted(sources)[:SPELLING_GROUP], 2):
                differ = [i for i in range(len(a)) if a[i] != b[i]] if len(a) == len(b) else []
                if differ and all(a[i - 1] == b[i - 1] for i in differ):  # each after the same token
                    evidence.update({_triple(a[i - 1], a[i], b[i]) for i in differ})
        return cls(frozenset(t for t, n in evidence.items() if n >= SPELLING_EVIDENCE))

    @classmethod
    def from_meta(cls, meta: dict) -> "Spellings":
        return cls(frozenset(tuple(t) for t in (meta.get("calibration") or {}).get("alike_spellings") or ()))

    def to_meta(self) -> list[list[str]]:
        return [list(t) for t in sorted(self.alike)]

    def same(self, a: Sequence[str], b: Sequence[str]) -> bool:
        """Whether two shapes are equal but for spellings alike in their context (case ignored)."""
        if len(a) != len(b):
            return False
        for i, (x, y) in enumerate(zip(a, b)):
            if x.casefold() != y.casefold() and (a[i - 1] != b[i - 1] or _triple(a[i - 1], x, y) not in self.alike):
                return False
        return True


def _triple(before: str, one: str, other: str) -> tuple[str, str, str]:
    return (before, *sorted((one, other)))


def min_answers(target: float = CALIBRATION_TARGET) -> int:
    """The fewest answers a threshold must give on held-out pairs to vouch for `target` exact."""
    return math.ceil(1 / (1 - target) - 1e-9)


def calibrate(scored: Sequence["Scored"], target: float = CALIBRATION_TARGET) -> dict:
    """The lowest confidence threshold whose answers on familiar `scored` inputs are at least `target` exact.

    The errors allowed among the answers at or above a threshold are `(1 - target) * answers`,
    rounded down, and there must be at least `min_answers(target)` of them (100 at 99 %): fewer
    cannot show one error in a hundred (24 right answers of 24 are what a model 90 % exact gives
    one time in twelve). A held-out set too small to vouch for the target answers nothing rather
    than something (threshold above 1).
    """
    ranked = sorted((s for s in scored if s.covered and s.familiar), key=lambda s: -s.confidence)
    threshold, answered, right_answered, right = 1.0 + 1e-6, 0, 0, 0
    for i, s in enumerate(ranked, 1):
        right += s.exact
        last_of_tie = i == len(ranked) or ranked[i].confidence < s.confidence
        if last_of_tie and i >= min_answers(target) and i - right <= int((1 - target) * i):
            threshold, answered, right_answered = s.confidence, i, right
    n = len(scored)
    return {
        "threshold": threshold,
        "target": target,
        "n": n,
        "answered": answered / n if n else 0.0,
        "exact_among_answered": right_answered / answered if answered else None,
    }


def calibrate_paired(scored: Sequence["Scored"], alone: float, target: float = CALIBRATION_TARGET) -> dict:
    """`calibrate` for a model whose answers the other direction's model checks: the lowest
    threshold at which the answers it leads back (`Scored.consistent`) are at least `target` exact,
    or the model's own threshold (`alone`, calibrated on all its answers) where that is lower.

    Where a program writes many inputs alike (sqlglot reads `!=` and `<>` alike), the other model
    leads many right answers back to another shape, and the answers it does lead back are right
    more often, at lower confidence, than all answers are. Where it leads right and wrong answers
    back alike, the threshold of those few answers is set by a handful of wrong ones: the own
    threshold then stands, as it did before the two were calibrated together. The answers it does
    not lead back stay refused: on real inputs they are where the wrong ones are, however sure the
    model is.
    """
    threshold = min(alone, calibrate([s for s in scored if s.consistent], target)["threshold"])
    answered = [s for s in scored if s.covered and s.familiar and s.consistent and s.confidence >= threshold]
    n = len(scored)
    return {
        "threshold": threshold,
        "target": target,
        "n": n,
        "answered": len(answered) / n if n else 0.0,
        "exact_among_answered": sum(s.exact for s in answered) / len(answered) if answered else None,
    }


def consistent(predictions: Sequence["Prediction"], model: "MockProgram", other: "MockProgram | None") -> list[bool]:
    """Per prediction of `model`: whether `other` (the opposite direction) leads its answer back to its source.

    True where there is nothing to check: no other model, an uncovered input, a failure (it has no
    text to ask about), or another aspect than the whole output.
    """
    if other is None or model.spec.is_failure:
        return [True] * len(predictions)
    asked = [i for i, p in enumerate(predictions) if p.covered and p.behaviour.ok]
    backs = other.predict_batch([predictions[i].behaviour.output or "" for i in asked], count=False)
    result = [True] * len(predictions)

    for i, back in zip(asked, backs):
        try:
            source = model.encode(back.behaviour.output or "")[0] if back.covered and back.behaviour.ok else None
        except UncoveredInputError:
            source = None
        # Case does not count (`count(` leads back to `COUNT(`); spacing does (indented code). The
        # placeholders must come back in the same order: a model that mixes up which name goes
        # where (`$left.a == $left.a` for `$left.a == $right.a`) leads back to other numbers.
        target = predictions[i].src_tokens
        result[i] = (source is not None and _placeholders(source) == _placeholders(target)
                     and model.spellings.same(shape(source), shape(target)))
    return result


def _placeholders(tokens: Sequence[str]) -> tuple[str, ...]:
    return tuple(token for token in tokens if is_placeholder(token))
