"""Lark-based tokenizers that turn content into numbered placeholders, and vocabularies."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable, Sequence

from pytest_modelizer.behaviour import Behaviour

# A failure is its own token sequence: this marker (no lexer can produce it), then the kind.
FAILURE_TOKEN = "\u27c2FAIL"
_TERMINAL_DEF = re.compile(r"^\s*([A-Z_][A-Z0-9_]*)(?:\.-?\d+)?\s*:", re.MULTILINE)


class TokenizeError(ValueError):
    """The text contains characters the tokenizer's terminals do not match."""


@dataclass(frozen=True)
class Tokenized:
    """Tokens of one text, with placeholders, and the mapping that restores them."""

    tokens: tuple[str, ...]
    mapping: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Verbatim:
    """A region of text the program copies nearly as it is, such as the body of a code block.

    The region begins where a match of `start` ends and ends where the next match of `end`
    begins (or at the end of the text). Inside it the terminals are not used: each run of
    characters that `apart` does not match becomes one `content` placeholder, and what `apart`
    matches (line breaks, characters the program escapes, a prefix it removes) is lexed by the
    terminals. A code line is then one token however much it holds, where the terminals would
    make it a dozen words and symbols, and the program's output holds the same runs.
    """

    start: str  # regular expression; searched for from where the last region ended
    end: str  # regular expression
    content: str  # the content terminal its runs become (one of the tokenizer's `content`)
    apart: str  # regular expression: what separates the runs

    def problem(self, content: tuple[str, ...]) -> str | None:
        if self.content not in content:
            return f"verbatim content {self.content!r} is not one of the content terminals {list(content)}"
        for name in ("start", "end", "apart"):
            try:
                re.compile(getattr(self, name))
            except (re.error, TypeError) as exc:
                return f"verbatim {name} {getattr(self, name)!r} is not a regular expression: {exc}"
        return None


_SPACES = re.compile(" {2,}")

HTML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"))


@dataclass(frozen=True)
class Escaped:
    """Content this side writes escaped where the other side writes it plain, as HTML writes a
    code line's `"` as `&quot;`.

    A placeholder of one of the `content` terminals holds the plain value: `x = "a"` in the
    Markdown and `x = &quot;a&quot;` in the HTML are one placeholder, where without it each would
    be five tokens and the model would have to learn the escaping. `entities` pairs each escaped
    character with how this side writes it. A value that holds such a character raw (which the
    program would not write) has that character lexed apart, as a token of its own, so that
    writing the plain value back escaped gives the text exactly.
    """

    content: tuple[str, ...]
    entities: tuple[tuple[str, str], ...] = HTML_ESCAPES

    @cached_property
    def _entity(self) -> re.Pattern:
        return re.compile("|".join(re.escape(entity) for _, entity in self.entities))

    @cached_property
    def _apart(self) -> re.Pattern:
        """An entity (kept), or an escaped character written raw (apart)."""
        raw = "".join(re.escape(char) for char, _ in self.entities)
        return re.compile(f"({self._entity.pattern})|[{raw}]")

    def plain(self, text: str) -> str:
        to_char = {entity: char for char, entity in self.entities}
        return self._entity.sub(lambda m: to_char[m.group()], text)

    def written(self, value: str) -> str:
        to_entity = dict(self.entities)
        return "".join(to_entity.get(char, char) for char in value)

    def pieces(self, kind: str, value: str) -> list[tuple[str, str]]:
        """`value` as runs of `kind` and, apart, the escaped characters it holds raw (of kind "")."""
        pieces: list[tuple[str, str]] = []
        done = 0
        for m in self._apart.finditer(value):
            if m.group(1) is None:  # raw
                if m.start() > done:
                    pieces.append((kind, value[done:m.start()]))
                pieces.append(("", m.group()))
                done = m.end()
        if done < len(value):
            pieces.append((kind, value[done:]))
        return pieces

    def problem(self, content: tuple[str, ...]) -> str | None:
        unknown = [name for name in self.content if name not in content]
        if unknown:
            return f"escaped terminals {', '.join(map(repr, unknown))} are not content terminals {list(content)}"
        if any(len(char) != 1 or not entity for char, entity in self.entities):
            return f"escaped entities {self.entities!r} must pair single characters with their spelling"
        return None


@dataclass(frozen=True)
class LarkTokenizer:
    """A lexer given as lark terminal definitions; `content` terminals become placeholders.

    `terminals` is lark grammar text holding only terminal definitions (priorities allowed,
    `%import` allowed). Every character of an input must be matched by some terminal; add a
    low-priority catch-all terminal so unusual characters still tokenize (they become
    vocabulary entries, or make the input uncovered if the model never saw them).

    `case_insensitive` names terminals whose tokens the program reads without regard to case
    (SQL's reserved words): they are written upper-case, so `select ` and `Select ` are the
    token `SELECT ` the grammar writes, not tokens the model never saw. Declare only words that
    cannot also be names the program copies as written (SQL's `date` or `end`). A content
    terminal declared so holds its value upper-cased, for content the program copies in upper
    case (the name of a SQL function it does not know, `my_udf` written `MY_UDF`): the
    placeholder then stands for the spelling the output holds, whatever the case the input wrote.

    `verbatim` regions (`Verbatim`) are copied text, such as code blocks, that become a few
    placeholders instead of many tokens. Where the other side of a pair does not hold a run
    as it is (a code block nested where the regions do not reach), that run is lexed by the
    terminals instead, as if there were no region.

    `escaped` (`Escaped`) names content this side writes escaped (HTML's `&quot;`) that the other
    side writes plain: its placeholders hold the plain value, and are written back escaped.

    `spaces_collapsed` names content terminals whose runs of spaces this side writes as one
    space, as pandoc's HTML writes Markdown's `it.  Then` as `it. Then`: a placeholder of the
    other side is matched with its spaces collapsed, and written back so. The program's rewriting
    is then the tokenizer's, not something hidden inside a placeholder that no model could learn.
    """

    terminals: str
    content: tuple[str, ...] = ()
    case_insensitive: tuple[str, ...] = ()
    verbatim: tuple[Verbatim, ...] = ()
    escaped: Escaped | None = None
    spaces_collapsed: tuple[str, ...] = ()

    def definition_problem(self) -> str | None:
        """What is wrong with the terminal definitions before lark sees them (None: nothing).

        A declared terminal must be defined in the text (an imported one: `NAME: common.NAME`).
        """
        names = _TERMINAL_DEF.findall(self.terminals)
        if not names:
            return "its terminals define no terminal (lines like `WORD: /[a-z]+/`)"
        regions = [region.content for region in self.verbatim]  # content only verbatim runs make
        for role, declared in (("content", self.content), ("case-insensitive", self.case_insensitive)):
            unknown = [name for name in declared if name not in names and (role != "content" or name not in regions)]
            if unknown:
                return f"{role} terminals {', '.join(map(repr, unknown))} are not defined; defined: {', '.join(names)}"
        unknown = [name for name in self.spaces_collapsed if name not in self.content]
        if unknown:
            return f"spaces-collapsed terminals {', '.join(map(repr, unknown))} are not content terminals {list(self.content)}"
        problem = next((problem for region in self.verbatim if (problem := region.problem(self.content))), None)
        return problem or (self.escaped.problem(self.content) if self.escaped else None)

    @cached_property
    def _lark(self):
        from lark import Lark

        problem = self.definition_problem()
        if problem:
            raise ValueError(f"LarkTokenizer: {problem}")
        # No parser (and so no rules): Lark then builds its lexer once; with a parser, `lex` rebuilds
        # it on every call.
        return Lark(self.terminals, parser=None, lexer="basic")

    @property
    def fingerprint(self) -> str:
        """Hash of the definition, part of every model key that uses this tokenizer."""
        text = self.terminals + "\0" + ",".join(self.content)
        if self.case_insensitive:  # Tokenizers without it keep the fingerprint they had.
            text += "\0" + ",".join(self.case_insensitive)
        for region in self.verbatim:  # likewise
            text += "\0" + "\1".join((region.start, region.end, region.content, region.apart))
        if self.escaped:  # likewise
            text += "\0" + ",".join(self.escaped.content) + "\1" + repr(self.escaped.entities)
        if self.spaces_collapsed:  # likewise
            text += "\0collapsed\1" + ",".join(self.spaces_collapsed)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def lex(self, text: str) -> list[tuple[str, str]]:
        """(terminal type, value) pairs covering `text`: the terminals', and the verbatim regions' runs."""
        if not self.verbatim:
            return self._lex(text)
        lexed: list[tuple[str, str]] = []
        done = 0
        for begin, end, region, apart in self._regions(text):
            lexed += self._lex(text[done:begin], done)
            lexed += self._lex_verbatim(text[begin:end], region, apart, begin)
            done = end
        return lexed + self._lex(text[done:], done)

    @cached_property
    def _compiled(self) -> list[tuple[re.Pattern, re.Pattern, re.Pattern, Verbatim]]:
        return [(re.compile(r.start), re.compile(r.end), re.compile(r.apart), r) for r in self.verbatim]

    def _regions(self, text: str) -> Iterable[tuple[int, int, Verbatim, re.Pattern]]:
        """(begin, end, region, its `apart` pattern) of each verbatim region, in order; the first to start wins.

        The next region is searched for after the end match (a closing code fence is no opening).
        """
        at = 0
        while at <= len(text):
            found = [(m, end, apart, region) for start, end, apart, region in self._compiled
                     if (m := start.search(text, at))]
            if not found:
                return
            opening, end, apart, region = min(found, key=lambda f: (f[0].start(), self.verbatim.index(f[3])))
            closing = end.search(text, opening.end())
            stop = closing.start() if closing else len(text)
            yield opening.end(), stop, region, apart
            at = max(closing.end() if closing else stop, opening.start() + 1)

    def _lex_verbatim(self, body: str, region: Verbatim, apart: re.Pattern, offset: int) -> list[tuple[str, str]]:
        lexed: list[tuple[str, str]] = []
        done = 0
        for m in apart.finditer(body):
            if m.start() > done:
                lexed.append((region.content, body[done:m.start()]))
            if m.end() > m.start():
                lexed += self._lex(m.group(), offset + m.start())
            done = max(done, m.end())
        if done < len(body):
            lexed.append((region.content, body[done:]))
        return self._raw_apart(lexed)

    def _raw_apart(self, lexed: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """`lexed` with the escaped characters that escaped content holds raw lexed apart (`Escaped.pieces`)."""
        if not self.escaped:
            return lexed
        escaped = self.escaped
        return [piece for kind, value in lexed
                for piece in (escaped.pieces(kind, value) if kind in escaped.content else ((kind, value),))]

    def _lex(self, text: str, offset: int = 0) -> list[tuple[str, str]]:
        """The terminals' tokens of `text`, a part of the input starting at `offset` (for the error)."""
        from lark.exceptions import UnexpectedCharacters

        try:
            return self._raw_apart([(tok.type, str(tok)) for tok in self._lark.lex(text)])
        except UnexpectedCharacters as exc:
            at = exc.pos_in_stream
            raise TokenizeError(f"no terminal matches {text[at:at + 20]!r} at offset {offset + at}") from None

    def tokenize(self, text: str) -> Tokenized:
        """Tokens with content replaced by `TYPE_n`, numbered per type in order of appearance."""
        tokens: list[str] = []
        mapping: dict[str, str] = {}
        seen: dict[tuple[str, str], str] = {}
        counts: dict[str, int] = {}
        for kind, value in self.lex(text):
            if kind in self.content:
                value = self.spelled(kind, value)
                placeholder = seen.get((kind, value))
                if placeholder is None:
                    counts[kind] = counts.get(kind, 0) + 1
                    placeholder = f"{kind}_{counts[kind]}"
                    seen[(kind, value)] = placeholder
                    mapping[placeholder] = value
                tokens.append(placeholder)
            else:
                tokens.append(self.spelled(kind, value))
        return Tokenized(tuple(tokens), mapping)

    def spelled(self, kind: str, value: str) -> str:
        """A lexed value as it is held: the token it stands for, or a placeholder's value.

        Upper-cased where its terminal is case-insensitive, plain where it is escaped.
        """
        if self.escaped and kind in self.escaped.content:
            value = self.escaped.plain(value)
        return value.upper() if kind in self.case_insensitive else value

    def _written(self, placeholder: str, value: str) -> str:
        """A placeholder's value as this side writes it (escaped, or its spaces collapsed, where its terminal is)."""
        kind = placeholder.rpartition("_")[0]
        if kind in self.spaces_collapsed:
            value = _SPACES.sub(" ", value)
        escaped = self.escaped
        return escaped.written(value) if escaped and kind in escaped.content else value

    def tokenize_with(self, text: str, mapping: dict[str, str], fresh_as_words: bool = False) -> Tokenized:
        """Tokens of `text` using placeholders from an existing `mapping` (the other side's).

        Content values absent from `mapping` get fresh placeholders numbered after it, which no
        model can restore; with `fresh_as_words`, as a model's target, they are vocabulary tokens of
        their own instead. A program writes words its input never held (the keys of the JSON it
        writes, `null`): as fresh placeholders, `WORD_8` in one pair and `WORD_3` in the next,
        they could never be answered (a URL splitter's every output held some); as words, they
        are learned like any other token.
        """
        inverse = {value: ph for ph, value in mapping.items()}
        # A value the other side holds under several types ("bar" as code and as text) is matched
        # by its type first: by value alone, both would read as whichever came last.
        typed = {(ph.rpartition("_")[0], value): ph for ph, value in mapping.items()}
        # Where this side collapses spaces, the other side's value with its spaces collapsed (its
        # value as it is wins: `typed` is looked up first).
        collapsed = {(kind, _SPACES.sub(" ", value)): ph for ph, value in mapping.items()
                     if (kind := ph.rpartition("_")[0]) in self.spaces_collapsed} if self.spaces_collapsed else {}
        merged = dict(mapping)
        counts: dict[str, int] = {}
        for ph in mapping:
            kind, _, n = ph.rpartition("_")
            counts[kind] = max(counts.get(kind, 0), int(n))
        tokens: list[str] = []

        def held(kind: str, value: str) -> str | None:
            """The other side's placeholder for a held `value` lexed as `kind`: by type first,
            else by value alone (the other side may call the same content by another type) where
            this side writes it alike, so that writing it back gives the text."""
            placeholder = typed.get((kind, value)) or collapsed.get((kind, value))
            if placeholder is None and (alone := inverse.get(value)) is not None:
                placeholder = alone if self._written(alone, value) == self._written(f"{kind}_", value) else None
            return placeholder

        verbatim = {region.content for region in self.verbatim}
        lexed = self.lex(text)
        if verbatim:  # a run the other side does not hold as it is: lexed as if there were no region
            lexed = [part for kind, value in lexed for part in
                     (self._lex(value) if kind in verbatim and not held(kind, self.spelled(kind, value)) else [(kind, value)])]
        for kind, written in lexed:
            if kind not in self.content:
                tokens.append(self.spelled(kind, written))
                continue
            value = self.spelled(kind, written)
            placeholder = held(kind, value)
            if placeholder is None and fresh_as_words:
                tokens.append(written.upper() if kind in self.case_insensitive else written)
                continue
            if placeholder is None:
                counts[kind] = counts.get(kind, 0) + 1
                placeholder = f"{kind}_{counts[kind]}"
                inverse[value] = placeholder
                merged[placeholder] = value
            tokens.append(placeholder)
        return Tokenized(tuple(tokens), merged)

    def detokenize(self, tokens: Iterable[str], mapping: dict[str, str]) -> str:
        """Join tokens, restoring placeholders from `mapping` (unknown ones stay as written)."""
        if not self.escaped and not self.spaces_collapsed:
            return "".join(mapping.get(tok, tok) for tok in tokens)
        return "".join(self._written(tok, mapping[tok]) if tok in mapping else tok for tok in tokens)


def behaviour_tokens(tokenizer: LarkTokenizer, behaviour: Behaviour, mapping: dict[str, str] | None,
                     fresh_as_words: bool = False) -> Tokenized:
    """Tokens of a behaviour: the output's tokens, or the failure marker and the failure kind.

    `mapping` is the input's (the output as a target), or None for the output on its own (an
    inverse model's query): then it is tokenized as an input is, its verbatim regions included.
    """
    if not behaviour.ok:
        return Tokenized((FAILURE_TOKEN, str(behaviour.failure)), dict(mapping or {}))
    if mapping is None:
        return tokenizer.tokenize(behaviour.output or "")
    return tokenizer.tokenize_with(behaviour.output or "", mapping, fresh_as_words)


def tokens_behaviour(tokenizer: LarkTokenizer, tokens: Sequence[str], mapping: dict[str, str]) -> Behaviour:
    """The behaviour that predicted tokens describe (inverse of `behaviour_tokens`)."""
    if tokens and tokens[0] == FAILURE_TOKEN:
        return Behaviour.failed(tokens[1] if len(tokens) > 1 else "unknown")
    return Behaviour.success(tokenizer.detokenize(tokens, mapping))


PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")


@dataclass
class Vocabulary:
    """Token strings <-> ids; ids 0-3 are pad, bos, eos, unk."""

    itos: list[str]

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]]) -> "Vocabulary":
        seen: dict[str, None] = {}
        for seq in sequences:
            for tok in seq:
                seen.setdefault(tok, None)
        return cls(list(SPECIALS) + sorted(seen))

    @cached_property
    def stoi(self) -> dict[str, int]:
        return {tok: i for i, tok in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def covers(self, tokens: Sequence[str]) -> bool:
        return all(tok in self.stoi for tok in tokens)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of `tokens` framed by bos/eos; unknown tokens map to unk."""
        stoi = self.stoi
        return [BOS, *(stoi.get(tok, UNK) for tok in tokens), EOS]

    def decode(self, ids: Sequence[int]) -> list[str]:
        """Tokens of `ids`, stopping at eos and dropping specials."""
        out = []
        for i in ids:
            if i == EOS:
                break
            if i > UNK:
                out.append(self.itos[i])
        return out
