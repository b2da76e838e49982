"""Does content hidden in a placeholder decide the program's behaviour? A check on the real program.

A model sees content (names, numbers, words) only as placeholders: `x + 0.5` and `f + 2` may
both be `LETTER_1 + NUMBER_1`. It can learn to copy a value, never to act on it. Where the
program does act on a value (py-asciimath writes `<mo>f</mo>` but `<mi>x</mi>`; a date
formatter fails on day 31 of April only), inputs that look the same to the model behave
differently, and no amount of training makes the model right on them: the held-out exact match
stalls and nothing says why.

The check is metamorphic: take training inputs, change one placeholder's value to another value
of the same kind that the training inputs use, and run the real program. Where the placeholder
abstraction holds, the program's answer changes only in that value; where it does not, the
value decides more. Training runs it on a few hundred inputs of a forward model's pairs, warns
with an example, and stores the figures with the model.

The same experiment, with one character put into a value, says which characters the program
copies as is in each kind of placeholder (`probe_content`): a real input whose values hold any
other character than those and the training values' is not one to answer with confidence.
Likewise with a word the vocabularies spell as a token of their own put into a value
(`probe_words`): where the program acts on it there (latexify writes `torch.sum(x)` as `\\sum x`
where its tokenizer saw only a name), a real value of that word is not answered with confidence.

Before any of that, the inputs themselves are run again, unchanged (`check_repeatable`): a program
whose answer to the same input changes from run to run (it writes the time or a random id, the
order of a set, or something earlier calls left behind) cannot be learnt as a function of its
input, and its held-out exact match stalls for that reason alone.

The converse needs no program (`rare_tokens`): content the tokenizer writes as tokens rather than
placeholders (a URL's port, an id, a number lexed whole) makes a vocabulary of thousands of
tokens, each in one or two training pairs, and a model learns to write a token only from the
pairs that hold it (README, "What a model can learn": a URL splitter whose ports were tokens).
"""
from __future__ import annotations

import random
import re
import string
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Sequence

from pytest_modelizer.aspect import behaviour_side, project, side_behaviour
from pytest_modelizer.calibration import char_class, is_placeholder, placeholder_kind, shape
from pytest_modelizer.tokenizer import TokenizeError

if TYPE_CHECKING:
    from pytest_modelizer.data import Example
    from pytest_modelizer.runner import ProgramRunner
    from pytest_modelizer.spec import ModelSpec

# Training inputs run a second time to see that the program answers them as before.
REPEATED_INPUTS = 100
# Inputs checked per training (program runs); the share that must change before training warns,
# and the least number of them (a few odd values are noise, not a pattern).
CHECKED_INPUTS = 200
WARN_SHARE = 0.02
WARN_COUNT = 3
# The characters tried in each kind of placeholder, and in how many inputs each (in the middle, at
# the start and at the end of a value): a character is copied as is only if it was in all of them.
PROBED_CHARACTERS = string.punctuation + " \t"
PROBES_PER_CHARACTER = 3
# Vocabulary words are put into each kind of placeholder in up to this many of its most frequent
# contexts: enough to find the contexts where a real value (`is` of `is_empty`) is only copied;
# fewer where all words in all contexts would take more program runs than the budget.
WORD_CONTEXTS = 12
WORD_PROBES = 3000
CONTROLS_PER_CONTEXT = 3
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD_EDGES = re.compile(r"^[^A-Za-z0-9_]+|[^A-Za-z0-9_]+$")


@dataclass(frozen=True)
class HiddenContent:
    """What changing one placeholder's value did to the program's behaviour."""

    checked: int = 0  # inputs whose value was changed and run
    changed: int = 0  # of them: the behaviour changed beyond the new value
    by_kind: dict = field(default_factory=dict)  # content kind -> [checked, changed]
    # An input, what the program did with it, the input with one value changed, what it did then.
    example: tuple[str, str, str, str] | None = None
    # Characters that one value held and the other did not in most of the changed inputs, and
    # seldom in the others (`deciding_characters`): likely what the program acts on.
    deciding: tuple[str, ...] = ()

    @property
    def share(self) -> float:
        return self.changed / self.checked if self.checked else 0.0

    @property
    def warns(self) -> bool:
        return self.changed >= WARN_COUNT and self.share >= WARN_SHARE

    def describe(self, subject: str) -> str:
        kinds = ", ".join(f"{kind} {changed}/{checked}" for kind, (checked, changed) in sorted(self.by_kind.items())
                          if changed)
        a, a_does, b, b_does = self.example or ("", "", "", "")
        a_does, b_does = where_they_differ(a_does, b_does)
        return (f"the tokens of {subject!r} hide content that decides its behaviour: changing the value of one "
                f"placeholder changed more than that value in the program's answer for {self.changed} of "
                f"{self.checked} inputs ({kinds}), e.g. {_clip(a)!r} -> {a_does!r} but {_clip(b)!r} -> "
                f"{b_does!r}.{self._deciding_text()} A model cannot learn what it cannot see: give the deciding "
                f"values tokens of "
                f"their own in the input tokenizer (vocabulary words, or a content terminal of their own), or "
                f"leave them out of the grammar (README, \"What a model can learn\")")

    def _deciding_text(self) -> str:
        if not self.deciding:
            return ""
        return (f" The answer changed where one value held {' or '.join(map(repr, self.deciding))} and the other "
                f"did not: likely what the program acts on.")

    def to_meta(self) -> dict:
        return {"checked": self.checked, "changed": self.changed,
                "by_kind": {k: list(v) for k, v in sorted(self.by_kind.items())}, "example": list(self.example or ()),
                "deciding": list(self.deciding)}


def deciding_characters(swaps: Sequence[tuple[str, str, bool]], limit: int = 3) -> tuple[str, ...]:
    """Of value swaps (before, after, whether the answer changed beyond the value): the characters
    that one of the two values held and the other did not in at least half of the changed swaps,
    and at most a fifth as often in the unchanged ones (punctuation only, where any is)."""
    changed, unchanged = Counter(), Counter()
    for before, after, differs in swaps:
        (changed if differs else unchanged).update(set(before) ^ set(after))
    n_changed = sum(differs for _, _, differs in swaps)
    n_unchanged = len(swaps) - n_changed
    found = [ch for ch, n in changed.most_common() if n >= n_changed / 2
             and unchanged[ch] / max(1, n_unchanged) <= n / n_changed / 5]
    # Letters and digits come and go with the words that hold them (`Tom's` brings `m` and `s` along
    # with the `'` that html.escape rewrites); where punctuation is among them, it is the likelier cause.
    marks = [ch for ch in found if not ch.isalnum()]
    return tuple((marks or found)[:limit])


@dataclass(frozen=True)
class Repeatability:
    """Training inputs run again, unchanged: did the program answer them as it had?"""

    checked: int = 0
    differed: int = 0
    example: tuple[str, str, str] | None = None  # an input, its first answer, its answer when run again

    @property
    def warns(self) -> bool:
        # Two, not one: a program under load may fail once for a reason of the machine's (a crash).
        return self.differed >= 2

    def describe(self, subject: str) -> str:
        text, first, again = self.example or ("", "", "")
        first, again = where_they_differ(first, again)
        return (f"the program of {subject!r} answers the same input differently when it runs again: "
                f"{self.differed} of {self.checked} training inputs, run a second time, got another answer "
                f"(e.g. {_clip(text)!r} -> {first!r}, then {again!r}). A model learns one answer per input: "
                f"where the answer holds the time, a random value, the order of a set, or what earlier calls "
                f"left behind, make the program deterministic for its tests (fix the clock or the seed, sort "
                f"what it writes, start it fresh) or model a part of its answer that is "
                f"(README, \"What a model can learn\")")

    def to_meta(self) -> dict:
        return {"checked": self.checked, "differed": self.differed, "example": list(self.example or ())}


def check_repeatable(spec: "ModelSpec", examples: Sequence["Example"], runner: "ProgramRunner",
                     seed: int = 0, count: int = REPEATED_INPUTS) -> Repeatability:
    """Run the inputs of up to `count` of `examples` again and compare with the answers they hold.

    Compared as the model sees them (`project`); a timeout is the runner's verdict on a slow call,
    not an answer, and is not compared. The workers are others than those that made the pairs, so
    an answer that follows the worker (its process id, what its earlier calls left) differs too;
    one that follows the hash seed (set order) differs where `runner` starts its workers in
    interpreters of their own (`ProgramRunner(own_interpreters=True)`, as training does: a program
    it can import by name), or the program is a command (a process of its own each call).
    """
    order = list(examples)
    random.Random(seed).shuffle(order)
    chosen = order[:count]
    runs = runner.run_many([e.pair.input for e in chosen])
    checked = differed = 0
    example = None
    for e, run in zip(chosen, runs):
        if "timeout" in (e.pair.behaviour.failure, run.behaviour.failure):
            continue
        checked += 1
        before, again = project(spec, e.pair.behaviour), project(spec, run.behaviour)
        if before != again:
            differed += 1
            example = example or (e.pair.input, str(before), str(again))
    return Repeatability(checked, differed, example)


# Training warns when at least this many of the tokens, and at least this share of them, occur in
# fewer than RARE_SEEN places of the training pairs: a few rare tokens are a grammar's long tail
# (the bundled subjects' samples bring some), most of a vocabulary is a terminal that holds values.
RARE_SEEN = 3
RARE_COUNT = 100
RARE_SHARE = 0.5


@dataclass(frozen=True)
class RareTokens:
    """Tokens (not placeholders) of the training pairs that occur fewer than RARE_SEEN times."""

    rare: int
    tokens: int  # distinct tokens of the training pairs
    pairs: int
    examples: tuple[str, ...]
    answer_only: int = 0  # of the rare tokens, those only the answers (targets) hold

    def describe(self, subject: str) -> str:
        head = (f"the tokens of {subject!r} are mostly rare: {self.rare:,} of the {self.tokens:,} tokens of its "
                f"{self.pairs:,} training pairs occur fewer than {RARE_SEEN} times (such as "
                f"{', '.join(map(repr, self.examples))}), and a model learns to write a token from the pairs that "
                f"hold it, not from one or two. ")
        if self.answer_only * 2 > self.rare:
            # Content values written out word by word: a content terminal already, but the query
            # lacks them, so no placeholder can carry them over.
            return head + (f"{self.answer_only:,} of them are only in the answers: content an answer holds "
                           f"and its query lacks (output text the input does not hold), which no placeholder "
                           f"can carry over: seen once or twice, the model cannot learn to write it, whatever "
                           f"the tokenizer. Let "
                           f"the grammar make such content from fewer values, or leave it to the program "
                           f"(README, \"What a model can learn\")")
        return head + (f"Where the program copies such values as they are, make the terminal that lexes them "
                       f"a content terminal (LarkTokenizer(content=(...)): the model copies a placeholder); where "
                       f"it reads them (a port it checks, a date it validates), lex them in smaller pieces, such "
                       f"as digits (README, \"What a model can learn\")")


def rare_tokens(pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> RareTokens | None:
    """The tokens of `pairs` (source, target) that occur too rarely to learn, if they are most of them."""
    counts = Counter(t for pair in pairs for tokens in pair for t in tokens if not is_placeholder(t))
    rare = sorted((n, t) for t, n in counts.items() if n < RARE_SEEN)
    if len(rare) < max(RARE_COUNT, RARE_SHARE * len(counts)):
        return None
    asked = {t for src, _ in pairs for t in src}
    answer_only = sum(t not in asked for _, t in rare)
    return RareTokens(len(rare), len(counts), len(pairs), tuple(t for _, t in rare[:5]), answer_only)


def _clip(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def where_they_differ(a: str, b: str, before: int = 15, limit: int = 50) -> tuple[str, str]:
    """`a` and `b` from a little before their first difference, clipped (long outputs share long prefixes)."""
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    start = max(0, first - before)
    lead = "..." if start else ""
    return _clip(lead + a[start:], limit), _clip(lead + b[start:], limit)


def _changed_input(spec: "ModelSpec", e: "Example", placeholder: str, value: str):
    """`e`'s input with `placeholder` set to `value`, and the behaviour expected if the value is only
    copied; None where that cannot be judged (the value merges with a neighbour, or is taken)."""
    tokenizer = spec.subject.input_tokenizer
    try:
        target = behaviour_side(spec, e.pair.behaviour, e.mapping)
    except TokenizeError:
        return None
    if value in target.mapping.values():
        return None
    mapping = {**target.mapping, placeholder: value}
    text = tokenizer.detokenize(e.src, mapping)
    try:
        if tokenizer.tokenize(text).tokens != e.src:
            return None
    except TokenizeError:
        return None
    return text, side_behaviour(spec, target.tokens, mapping)


def check_hidden_content(spec: "ModelSpec", examples: Sequence["Example"], runner: "ProgramRunner",
                         seed: int = 0, count: int = CHECKED_INPUTS) -> HiddenContent:
    """Change one placeholder value in up to `count` of a forward model's `examples`; run them; compare."""
    rng = random.Random(seed)
    values: dict[str, list[str]] = {}
    for e in examples:
        for placeholder, value in e.mapping.items():
            values.setdefault(placeholder_kind(placeholder), []).append(value)
    values = {kind: sorted(set(vs)) for kind, vs in values.items()}
    order = [e for e in examples if e.mapping]
    rng.shuffle(order)
    # (example, changed input, kind, behaviour expected if the value is only copied, (old value, new value))
    cases = []
    for e in order:
        if len(cases) >= count:
            break
        placeholder = rng.choice(sorted(e.mapping))
        kind = placeholder_kind(placeholder)
        others = [v for v in values.get(kind, ()) if v not in e.mapping.values()]
        value = rng.choice(others) if others else None
        changed = _changed_input(spec, e, placeholder, value) if value is not None else None
        if changed is not None:
            cases.append((e, changed[0], kind, changed[1], (e.mapping[placeholder], value)))
    runs = runner.run_many([text for _, text, _, _, _ in cases])
    by_kind: dict[str, list[int]] = {}
    changed, example, swaps = 0, None, []
    for (e, text, kind, expected, swap), run in zip(cases, runs):
        differs = project(spec, run.behaviour) != expected
        tally = by_kind.setdefault(kind, [0, 0])
        tally[0] += 1
        tally[1] += differs
        swaps.append((*swap, differs))
        if differs:
            changed += 1
            example = example or (e.pair.input, str(project(spec, e.pair.behaviour)), text,
                                  str(project(spec, run.behaviour)))
    return HiddenContent(len(cases), changed, {k: tuple(v) for k, v in by_kind.items()}, example,
                         deciding_characters(swaps) if changed else ())


def probe_content(spec: "ModelSpec", examples: Sequence["Example"], runner: "ProgramRunner",
                  seed: int = 0, per_character: int = PROBES_PER_CHARACTER) -> dict[str, set[str]]:
    """Per placeholder kind of a forward model: the character classes (`char_class`) its values may hold.

    Those the training values held, and each of `PROBED_CHARACTERS` that, put into a training value
    of that kind in `per_character` inputs, left the program's answer what copying the value gives.
    """
    rng = random.Random(seed)
    allowed: dict[str, set[str]] = {}
    holders: dict[str, list[tuple["Example", str]]] = {}  # kind -> (example, one of its placeholders)
    for e in examples:
        for placeholder, value in sorted(e.mapping.items()):
            allowed.setdefault(placeholder_kind(placeholder), set()).update(map(char_class, value))
            holders.setdefault(placeholder_kind(placeholder), []).append((e, placeholder))
    cases = []  # (kind, character, changed input, behaviour expected if the value is only copied)
    for kind, found in sorted(holders.items()):
        for ch in PROBED_CHARACTERS:
            if ch in allowed[kind]:
                continue
            tried = 0
            for attempt, (e, placeholder) in enumerate(rng.sample(found, min(len(found), 4 * per_character))):
                if tried == per_character:
                    break
                value = e.mapping[placeholder]
                at = (len(value) // 2, 0, len(value))[attempt % 3]
                changed = _changed_input(spec, e, placeholder, value[:at] + ch + value[at:])
                if changed is not None:
                    cases.append((kind, ch, *changed))
                    tried += 1
    runs = runner.run_many([text for _, _, text, _ in cases])
    verdicts: dict[tuple[str, str], bool] = {}
    for (kind, ch, _, expected), run in zip(cases, runs):
        verdicts[kind, ch] = verdicts.get((kind, ch), True) and project(spec, run.behaviour) == expected
    for (kind, ch), copied in verdicts.items():
        if copied:
            allowed[kind].add(ch)
    return allowed


def probe_runs(spec: "ModelSpec", examples: Sequence["Example"], runner: "ProgramRunner",
               allowed: dict[str, set[str]], seed: int = 0, per_character: int = PROBES_PER_CHARACTER,
               ) -> dict[str, set[str]]:
    """Per placeholder kind of a forward model: the characters whose runs its values may hold.

    A program may copy a character alone and not a run of it (HTML collapses spaces: `a   b` in a
    code span comes out as `a b`). Those runs the training values held, and each character of
    `allowed` (`probe_content`'s, letters and digits aside) that, made a run of two in a training
    value (beside the same character where it holds one) in `per_character` inputs, left the
    program's answer what copying gives.
    """
    rng = random.Random(seed)
    runs: dict[str, set[str]] = {kind: set() for kind in allowed}
    holders: dict[str, list[tuple["Example", str]]] = {}
    for e in examples:
        for placeholder, value in sorted(e.mapping.items()):
            kind = placeholder_kind(placeholder)
            runs.setdefault(kind, set()).update(a for a, b in zip(value, value[1:]) if a == b and char_class(a) == a)
            holders.setdefault(kind, []).append((e, placeholder))
    cases = []  # (kind, character, changed input, behaviour expected if the value is only copied)
    for kind, found in sorted(holders.items()):
        for ch in sorted(c for c in allowed.get(kind, ()) if len(c) == 1 and c not in runs[kind]):
            tried = 0
            for e, placeholder in rng.sample(found, min(len(found), 8 * per_character)):
                if tried == per_character:
                    break
                value = e.mapping[placeholder]
                # Beside the character where the value holds it (`a.io` -> `a..io`: still a URL), else mid-way.
                at = value.find(ch) + 1 or len(value) // 2
                changed = _changed_input(spec, e, placeholder, value[:at] + ch * (1 if ch in value else 2) + value[at:])
                if changed is not None:
                    cases.append((kind, ch, *changed))
                    tried += 1
    verdicts: dict[tuple[str, str], bool] = {}
    for (kind, ch, _, expected), run in zip(cases, runner.run_many([text for _, _, text, _ in cases])):
        verdicts[kind, ch] = verdicts.get((kind, ch), True) and project(spec, run.behaviour) == expected
    for (kind, ch), copied in verdicts.items():
        if copied:
            runs[kind].add(ch)
    return runs


def vocabulary_words(tokens: Iterable[str]) -> list[str]:
    """The words the vocabularies spell in tokens of their own (`sum(` -> `sum`, `\\prod ` -> `prod`).

    A program that gives a word a token of its own often treats it specially (latexify writes
    `torch.sum(x)` as `\\sum x`); where the same word arrives as a placeholder's value, the model
    sees only the placeholder. These are the words `probe_words` tries.
    """
    words = set()
    for token in tokens:
        if not is_placeholder(token):
            core = _WORD_EDGES.sub("", token)
            if _WORD.fullmatch(core):
                words.add(core)
    return sorted(words)


def probe_words(spec: "ModelSpec", examples: Sequence["Example"], runner: "ProgramRunner", words: Iterable[str],
                contexts_per_word: int = WORD_CONTEXTS, budget: int = WORD_PROBES,
                ) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """Per placeholder kind of a forward model: the `words` the program does not just copy there.

    Each word is put as the value of a placeholder of each kind in inputs of the kind's most
    frequent contexts (the token before the placeholder and the one after it), one input per
    context, where the input still tokenizes the same (a word the tokenizer gives a token of its
    own in a context is never a placeholder's value there), and fewer contexts where that would
    take more than `budget` program runs. The input of a context is one the
    program answers and where another training value is only copied, so that what changes is the
    word's doing, not the input's. Returns, for each word the program did not copy as is in at
    least one context, the contexts where it did: elsewhere a value of that word is not one to
    answer with confidence.
    """
    by_context: dict[str, dict[tuple[str, str], list[tuple["Example", str]]]] = {}
    values: dict[str, Counter] = {}
    for e in examples:
        framed = shape(e.src)
        for i, token in enumerate(e.src):
            if token in e.mapping:  # (not a renumbered placeholder, nor a token spelled like one)
                kind = placeholder_kind(token)
                by_context.setdefault(kind, {}).setdefault((framed[i], framed[i + 2]), []).append((e, token))
                values.setdefault(kind, Counter())[e.mapping[token]] += 1
    # One input per context: the first of a few (answered by the program) where a common training
    # value put in place of the placeholder's own is only copied.
    controls = []  # (kind, context, example, placeholder, changed input, expected)
    for kind, contexts in sorted(by_context.items()):
        common = [v for v, _ in values[kind].most_common(8)]
        ranked = sorted(contexts.items(), key=lambda item: (-len(item[1]), item[0]))[:2 * contexts_per_word]
        for context, holders in ranked:
            for e, placeholder in [h for h in holders if h[0].pair.behaviour.ok][:CONTROLS_PER_CONTEXT]:
                value = next((v for v in common if v not in e.mapping.values()), None)
                changed = _changed_input(spec, e, placeholder, value) if value is not None else None
                if changed is not None:
                    controls.append((kind, context, e, placeholder, *changed))
    chosen: dict[str, dict[tuple[str, str], tuple["Example", str]]] = {}
    for (kind, context, e, placeholder, _, expected), run in zip(controls, runner.run_many([c[4] for c in controls])):
        if project(spec, run.behaviour) == expected:
            chosen.setdefault(kind, {}).setdefault(context, (e, placeholder))
    cases = []  # (kind, word, context, changed input, behaviour expected if the word is only copied)
    for kind, contexts in sorted(chosen.items()):
        for word in words:
            tried = []
            for context, (e, placeholder) in contexts.items():  # most frequent first
                changed = _changed_input(spec, e, placeholder, word) if len(tried) < contexts_per_word else None
                if changed is not None:
                    tried.append((kind, word, context, *changed))
            cases.append(tried)
    # Within the budget of program runs: as many of each word's contexts as fit, the most frequent.
    fit = max((n for n in range(1, contexts_per_word + 1) if sum(min(n, len(c)) for c in cases) <= budget),
              default=1)
    cases = [case for tried in cases for case in tried[:fit]]
    copied: dict[tuple[str, str], dict[tuple[str, str], bool]] = {}
    for (kind, word, context, _, expected), run in zip(cases, runner.run_many([c[3] for c in cases])):
        copied.setdefault((kind, word), {})[context] = project(spec, run.behaviour) == expected
    special: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for (kind, word), verdicts in sorted(copied.items()):
        if not all(verdicts.values()):
            special.setdefault(kind, {})[word] = sorted(c for c, ok in verdicts.items() if ok)
    return special
