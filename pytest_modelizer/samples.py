"""Real inputs a subject declares (`Subject(samples=...)`): they steer synthesis toward what users send.

Three ways, all at synthesis time:

- *probabilities*: each sample is parsed with the input grammar (fuzzingbook's EarleyParser),
  its content (names, words, URLs: the input tokenizer's placeholder terminals) written as the
  grammar writes it (`ContentMarks`), and every expansion's probability is set from how often the
  samples use it (as fuzzingbook's ProbabilisticGrammarMiner does), add-one smoothed so that
  constructs the samples never use are still made; the bulk of the inputs then has the samples'
  construct mix and lengths;
- *fragments*: new inputs made by replacing a subtree of a parsed sample with a subtree of the
  same nonterminal from another sample (the fragment idea of fuzzingbook's LangFuzzer), their
  content drawn from the samples': they follow the grammar's structure and look like real inputs;
- *the samples themselves* join the inputs that the real program runs on.

Samples that do not parse are counted and reported; they still join the inputs. The samples'
text is part of the model key.
"""
from __future__ import annotations

import glob
import hashlib
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence, Union

from pytest_modelizer.isolation import preserved_global_state
from pytest_modelizer.tokenizer import TokenizeError

SampleSource = Union[str, Path, Sequence[str], Callable[[], Iterable[str]]]

# Of the synthesized inputs, this share is made by recombining parsed samples.
FRAGMENT_SHARE = 0.2
# However many samples parse, each expansion keeps at least this share of its declared probability:
# the samples steer synthesis toward their constructs without erasing the ones they happen to lack
# (a test corpus without the `?` parameters that applications' SQLite queries are full of). A floor,
# not a blend: blending a fifth of the declared probabilities into every choice also pulled each
# recursive rule toward the grammar's short declared defaults, and synthesized inputs came out
# shorter than the samples (docs/model-history.md, markdown-it's LINK and LANG placeholders).
DECLARED_SHARE = 0.2
# Earley parsing is cubic at worst: longer samples join the inputs without being parsed.
MAX_PARSED_CHARS = 400


# A real-world corpus is split once, entry by entry, into a sample part (it may steer training)
# and an evaluation part that no training sees. The side is a hash of the entry's text, not its
# position: an entry keeps its side when a corpus grows or is reordered, and two equal entries
# never land on both sides.
EVALUATION_SHARE = 0.5
CORPUS_PARTS = ("all", "sample", "evaluation")


class SamplesError(ValueError):
    """The subject's samples cannot be read; the message names the source and the fix."""


def load_samples(source: SampleSource | None) -> list[str]:
    """The samples of a `Subject.samples` declaration, in order, duplicates dropped.

    A path or glob: JSON-lines files (`.jsonl`, an `input` key per line) or text files (each file
    one sample); a sequence of strings; or a callable returning them.
    """
    if source is None:
        return []
    if callable(source):
        texts = list(source())
    elif isinstance(source, (str, Path)):
        paths = sorted(Path(p) for p in glob.glob(str(source)))
        if not paths:
            where = "" if Path(source).is_absolute() else f" (relative: read from {Path.cwd()}, where this runs)"
            what = "matches no file" if glob.has_magic(str(source)) else "does not exist"
            raise SamplesError(f"samples {str(source)!r} {what}{where}; name the files from the conftest's folder: "
                               f"samples=Path(__file__).parent / {str(source)!r}")
        texts = [text for path in paths for text in _read(path)]
    else:
        texts = list(source)
    bad = [t for t in texts if not isinstance(t, str)]
    if bad:
        raise SamplesError(f"samples must be strings; got {type(bad[0]).__name__} ({bad[0]!r:.60})")
    return list(dict.fromkeys(texts))


def _read(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SamplesError(f"samples file {path} cannot be read ({exc}); fix the Subject's samples=") from None
    if path.suffix != ".jsonl":
        return [text]
    out = []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)["input"]
        except (ValueError, KeyError, TypeError):
            raise SamplesError(f"{path}:{n}: expected a JSON object with an 'input' key, got {line[:60]!r}") from None
        out.append(value)
    return out


def in_evaluation_part(text: str) -> bool:
    """Whether a corpus entry belongs to the evaluation part (`EVALUATION_SHARE` of the entries)."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") < EVALUATION_SHARE * 2**64


def corpus_part(texts: Iterable[str], part: str) -> list[str]:
    """The entries of a corpus in `part`: "sample", "evaluation" or "all", in their order."""
    if part not in CORPUS_PARTS:
        raise ValueError(f"unknown corpus part {part!r}; valid: {', '.join(CORPUS_PARTS)}")
    if part == "all":
        return list(texts)
    return [t for t in texts if in_evaluation_part(t) == (part == "evaluation")]


@dataclass(frozen=True, init=False)
class CorpusSamples:
    """`Subject(samples=CorpusSamples(path, ...))`: the sample part of real-world corpora (JSON lines).

    Evaluate on the other part (`modelizer eval --inputs PATH --part evaluation`): no training
    sees it, so its figures say how the model does on inputs like the samples, not on them.
    """

    paths: tuple[Path, ...]

    def __init__(self, *paths: str | Path) -> None:
        object.__setattr__(self, "paths", tuple(Path(p) for p in paths))

    def __call__(self) -> list[str]:
        return [text for path in self.paths for text in corpus_part(_read(path), "sample")]


def samples_fingerprint(samples: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps(list(samples)).encode()).hexdigest()[:16]


@dataclass
class MinedSamples:
    """What parsing the samples gave: the grammar with mined probabilities, and the parse trees."""

    grammar: dict
    trees: list = field(default_factory=list)
    unparsed: int = 0
    too_long: int = 0
    unparsed_examples: list = field(default_factory=list)  # the first few, as the user wrote them


class TooLongToParse(ValueError):
    """A text longer than Earley parsing is given (Earley parsing is cubic at worst)."""


class GrammarParser:
    """Parses texts with a BNF grammar as mining does: up to their content, with `content` (`ContentMarks`).

    `parse` answers a text's derivation tree (marks where the text holds content), or None where
    the grammar does not describe the text's shape; `TooLongToParse` past `max_chars`.
    """

    def __init__(self, bnf: dict, start_symbol: str = "<start>", content: "ContentMarks | None" = None,
                 max_chars: int = MAX_PARSED_CHARS) -> None:
        from fuzzingbook.Grammars import exp_string
        from fuzzingbook.Parser import EarleyParser

        # A repeated expansion is one choice here: mining's probabilities replace what repeating it
        # meant, and set_prob would find only its first copy and leave the others unweighted.
        self.plain = {symbol: list(dict.fromkeys(exp_string(e) for e in expansions))
                      for symbol, expansions in bnf.items()}
        self.content = content
        self.max_chars = max_chars
        self.named = content.named_by(self.plain) if content else {}
        if content:
            listed = {kind for kinds in self.named.values() for kind in kinds}
            content.stand_ins = stand_ins(self.plain, content.tokenizer, set(content.tokenizer.content) - listed,
                                          start_symbol)
        parsed = {symbol: [*expansions, *(mark(kind) for kind in self.named.get(symbol, {}))]
                  for symbol, expansions in self.plain.items()}
        # Earley wants a start symbol with a single expansion: parse from a wrapper, mine below it.
        self.parser = EarleyParser({**parsed, "<modelizer-start>": [start_symbol]}, start_symbol="<modelizer-start>")

    def parse(self, text: str) -> Any | None:
        abstract = self.content.abstract(text) if self.content else text
        if len(abstract) > self.max_chars:
            raise TooLongToParse(text)
        parser = self.parser
        try:
            cursor, states = parser.parse_prefix(abstract)
            start = next((state for state in states if state.finished()), None)
            if cursor < len(abstract) or start is None:
                return None
            # The first derivation only. `EarleyParser.parse` yields the same tree first, but its
            # `extract_trees` builds every derivation of each child before that (itertools.product
            # takes in all it multiplies): seconds on a long list whose items parse several ways.
            tree = parser.extract_a_tree(parser.parse_forest(parser.table, start))
            return parser.prune_tree(tree)[1][0]
        except (SyntaxError, StopIteration, IndexError, KeyError, RecursionError):
            return None


def mine(bnf: dict, samples: Sequence[str], start_symbol: str = "<start>",
         content: "ContentMarks | None" = None) -> MinedSamples:
    """Parse the samples with `bnf` (a BNF fuzzingbook grammar) and set its probabilities from them.

    With `content`, samples are parsed up to their content (see `ContentMarks`); the trees then
    hold marks where the samples hold content, for `ContentMarks.fill`.
    """
    from fuzzingbook.Grammars import exp_string, extend_grammar
    from fuzzingbook.ProbabilisticGrammarFuzzer import ExpansionCountMiner, expansion_key, set_prob

    parser = GrammarParser(bnf, start_symbol, content)
    named = parser.named
    counter = ExpansionCountMiner(parser.parser)
    mined = MinedSamples(extend_grammar(parser.plain))
    for sample in samples:
        try:
            tree = parser.parse(sample)
        except TooLongToParse:
            mined.too_long += 1
            continue
        if tree is None:
            mined.unparsed += 1
            if len(mined.unparsed_examples) < 3:
                mined.unparsed_examples.append(sample)
            continue
        counter.add_tree(tree)
        mined.trees.append(tree)
    counts = counter.counts()
    for symbol, expansions in mined.grammar.items():
        if len(expansions) < 2:
            continue
        declared = declared_shares(bnf[symbol], symbol)
        # The miner keys an empty expansion by its tree node, which has no children: as
        # `expansion_key(symbol, [])` ("<where> -> <where>"), not as the empty string's key. Read
        # so, an optional clause the samples leave out counted for nothing, and the mined grammar
        # wrote it nearly always, however rarely the samples did.
        seen = {e: counts.get(expansion_key(symbol, e or []), 0) for e in declared}
        for kind, listed in named.get(symbol, {}).items():
            # A sample's own value where the grammar lists values counts for each listed one alike.
            for expansion in listed:
                seen[expansion] += counts.get(expansion_key(symbol, mark(kind)), 0) / len(listed)
        # The grammar's own probabilities are the prior, worth one sample per expansion: with the
        # samples silent on a symbol they stay as declared, and a construct the samples never use
        # is still made (with nothing declared, uniform shares: add-one smoothing).
        weights = {e: seen[e] + len(declared) * declared[e] for e in declared}
        total = sum(weights.values())
        shares = floored({e: w / total for e, w in weights.items()},
                         {e: DECLARED_SHARE * share for e, share in declared.items()})
        for expansion in list(expansions):
            set_prob(mined.grammar, symbol, exp_string(expansion), shares[exp_string(expansion)])
    return mined


def floored(shares: dict[str, float], floors: dict[str, float]) -> dict[str, float]:
    """`shares` (summing to 1) with each raised to its floor where below it, the others scaled down
    together to make room (and raised in turn where that takes them below theirs)."""
    fixed: dict[str, float] = {}
    while True:
        low = {e for e, share in shares.items() if e not in fixed and share < floors[e]}
        if not low:
            return {**shares, **fixed}
        fixed.update((e, floors[e]) for e in low)
        free = {e: share for e, share in shares.items() if e not in fixed}
        room, held = 1.0 - sum(fixed.values()), sum(free.values())
        shares = {e: share * room / held if held else room / len(free) for e, share in free.items()}


def declared_shares(expansions: Sequence, symbol: str) -> dict[str, float]:
    """Each distinct expansion's probability as the grammar declares it (unset ones share the rest).

    A repeated expansion is one choice with the copies' probabilities summed: uniform choice
    among the copies made it that much more likely.
    """
    from fuzzingbook.Grammars import exp_string
    from fuzzingbook.ProbabilisticGrammarFuzzer import exp_prob, prob_distribution

    shares: dict[str, float] = {}
    for expansion, share in zip(expansions, prob_distribution([exp_prob(e) for e in expansions], symbol)):
        shares[exp_string(expansion)] = shares.get(exp_string(expansion), 0.0) + share
    return shares


def mark(kind: str) -> str:
    """Stands for any value of content terminal `kind` in a text to parse (private-use characters)."""
    return f"\ue000{kind}\ue001"


_MARK = re.compile("\ue000([A-Za-z0-9_]+)\ue001")
_WORD = re.compile(r"[^\W_]+")


class ContentMarks:
    """Parsing samples up to their content: names, words and URLs (the tokenizer's content terminals).

    Grammars list a few names, words or URLs, and placeholders make more unnecessary; real
    inputs use their own, so a sample fails to parse at its first name the grammar does not
    list. Here a sample's content values become marks of their terminal, and every grammar
    symbol that lists values of a terminal accepts that terminal's mark too. Recombined
    fragments get real values for their marks, drawn from the samples (`fill`).

    Some content only the context makes: the text of a Markdown code span lexes as code only
    between backticks, so no grammar symbol lists its values. Its values are written as the
    shortest value of that terminal the grammar writes (`stand_ins`, set by `mine`).
    """

    def __init__(self, tokenizer: Any, samples: Iterable[str]) -> None:
        self.tokenizer = tokenizer
        self.stand_ins: dict[str, str] = {}
        values: dict[str, set[str]] = {}
        for text in samples:
            for kind, value in self._lex(text) or ():
                if kind in tokenizer.content:
                    values.setdefault(kind, set()).add(value)
        self.values = {kind: sorted(found) for kind, found in values.items()}

    def _lex(self, text: str) -> list[tuple[str, str]] | None:
        try:
            return self.tokenizer.lex(text)
        except TokenizeError:  # such a sample is parsed as it is
            return None

    def named_by(self, plain: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
        """Per grammar symbol, the content terminals whose values it lists, and those expansions."""
        named: dict[str, dict[str, list[str]]] = {}
        for symbol, expansions in plain.items():
            for expansion in expansions:
                if "<" in expansion or not expansion:
                    continue
                for kind in self._content_kinds(expansion):
                    named.setdefault(symbol, {}).setdefault(kind, []).append(expansion)
        return named

    def _content_kinds(self, value: str) -> list[str]:
        """The content terminals that lex `value` as one token, alone or before a space: pandoc's
        abbreviations are one only there ("e.g." alone is text, in "e.g. x" an abbreviation)."""
        kinds = []
        for text in (value, value + " "):
            tokens = self._lex(text)
            if tokens and tokens[0][1] == value and tokens[0][0] in self.tokenizer.content \
                    and "".join(v for _, v in tokens[1:]) == text[len(value):] and tokens[0][0] not in kinds:
                kinds.append(tokens[0][0])
        return kinds

    def abstract(self, text: str) -> str:
        tokens = self._lex(text)
        if tokens is None:
            return text
        return "".join(value if kind not in self.tokenizer.content else self.stand_ins.get(kind) or mark(kind)
                       for kind, value in tokens)

    def fill(self, text: str, rng: random.Random) -> str:
        """`text` with each mark replaced by a value of its terminal that the samples hold."""
        return _MARK.sub(lambda m: rng.choice(self.values.get(m.group(1)) or [m.group(1)]), text)


def stand_ins(plain: dict[str, list[str]], tokenizer: Any, kinds: set[str], start_symbol: str,
              count: int = 300) -> dict[str, str]:
    """Per content terminal of `kinds`, the shortest word the grammar writes as its value (in `count`
    seeded inputs), or the shortest value where it writes no word.

    A word is what most contexts take (one word where a code span may hold several). Not merely the
    shortest value: the terminal may also match a piece of text its symbols never write alone (in
    a Markdown grammar, the "@" between two quotes of a code line), and with that stand-in no
    sample's code block parsed, so the samples steered synthesis away from code blocks.
    """
    from pytest_modelizer.synthesis import fuzzer_class

    if not kinds:
        return {}
    found: dict[str, Counter] = {}
    with preserved_global_state():  # fuzzingbook draws from the global generator
        random.seed(0)
        fuzzer = fuzzer_class("plain")(plain, start_symbol=start_symbol, max_nonterminals=12)
        for _ in range(count):
            try:
                tokens = tokenizer.lex(fuzzer.fuzz())
            except TokenizeError:
                continue
            for kind, value in tokens:
                if kind in kinds:
                    found.setdefault(kind, Counter())[value] += 1
    return {kind: min(counts, key=lambda value: (not _WORD.fullmatch(value), len(value), -counts[value], value))
            for kind, counts in found.items()}


def recombine(trees: Sequence[Any], count: int, rng: random.Random, max_chars: int,
              fill: Callable[[str], str] = lambda text: text) -> list[str]:
    """Up to `count` distinct inputs: a parsed sample with one subtree swapped for another of its nonterminal.

    `fill` gives each made text its content (`ContentMarks.fill`) before inputs are told apart:
    samples parsed up to their content share few shapes (most documentation blocks are one
    heading or one paragraph of text runs), and distinct shapes alone would be a handful of inputs.
    """
    from fuzzingbook.GrammarFuzzer import tree_to_string

    if not trees:
        return []
    pool: dict[str, list] = {}
    for tree in trees:
        for node in _nodes(tree):
            pool.setdefault(node[0], []).append(node)
    out: dict[str, None] = {}
    for _ in range(count * 4):
        if len(out) >= count:
            break
        tree = rng.choice(trees)
        nodes = [n for n in _nodes(tree) if len(pool[n[0]]) > 1]
        if not nodes:
            continue
        target = rng.choice(nodes)
        text = fill(tree_to_string(_replace(tree, target, rng.choice(pool[target[0]]))))
        if len(text) <= max_chars:
            out.setdefault(text, None)
    return list(out)


def _nodes(tree: Any) -> Iterable[Any]:
    """The nonterminal nodes of a derivation tree (symbol, children)."""
    symbol, children = tree
    if symbol.startswith("<") and symbol.endswith(">") and children is not None:
        yield tree
        for child in children:
            yield from _nodes(child)


def _replace(tree: Any, target: Any, replacement: Any) -> Any:
    if tree is target:
        return replacement
    symbol, children = tree
    return (symbol, [_replace(c, target, replacement) for c in children] if children else children)
