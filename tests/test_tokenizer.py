"""Tokenizers with numbered placeholders, vocabularies, and behaviour tokens."""
from __future__ import annotations

import random

import pytest

import toy
from pytest_modelizer import Behaviour, Escaped, LarkTokenizer, Verbatim
from pytest_modelizer.tokenizer import (
    BOS,
    EOS,
    FAILURE_TOKEN,
    PAD,
    UNK,
    TokenizeError,
    Vocabulary,
    behaviour_tokens,
    tokens_behaviour,
)

IN, OUT = toy.INPUT_TOKENIZER, toy.OUTPUT_TOKENIZER
TWO_KINDS = LarkTokenizer('WORD: /[a-z]+/\nNUM: /[0-9]+/\nSP: " "\nOTHER.-1: /./s', content=("WORD", "NUM"))


def test_placeholders_numbered_per_type_in_order_of_appearance():
    tok = TWO_KINDS.tokenize("b 7 a 7 b 3 c")
    assert tok.tokens == (
        "WORD_1", " ", "NUM_1", " ", "WORD_2", " ", "NUM_1", " ", "WORD_1", " ", "NUM_2", " ", "WORD_3",
    )
    assert tok.mapping == {"WORD_1": "b", "NUM_1": "7", "WORD_2": "a", "NUM_2": "3", "WORD_3": "c"}


def test_non_content_terminals_stay_literal():
    tok = IN.tokenize("cat !dog cat")
    assert tok.tokens == ("WORD_1", " ", "!", "WORD_2", " ", "WORD_1")
    assert tok.mapping == {"WORD_1": "cat", "WORD_2": "dog"}
    # Different words with the same shape give the same tokens: that is what lets a model generalize.
    assert IN.tokenize("yak !zebra yak").tokens == tok.tokens


ALPHABET = "abcxyz !!<>/b|||\n\t09é€\\\"'"


@pytest.mark.parametrize("tokenizer", [IN, OUT, TWO_KINDS], ids=["input", "output", "two-kinds"])
def test_detokenize_inverts_tokenize(tokenizer):
    rng = random.Random(0)
    texts = ["", "<b>cat</b>|dog", "!!", *("".join(rng.choices(ALPHABET, k=rng.randint(0, 40))) for _ in range(400))]
    for text in texts:
        tok = tokenizer.tokenize(text)
        assert tokenizer.detokenize(tok.tokens, tok.mapping) == text


def test_tokenize_with_reuses_the_input_mapping():
    src = IN.tokenize("cat !dog")
    out = OUT.tokenize_with("cat|<b>dog</b>|emu", src.mapping)
    assert out.tokens == ("WORD_1", "|", "<b>", "WORD_2", "</b>", "|", "WORD_3")
    assert out.mapping == {"WORD_1": "cat", "WORD_2": "dog", "WORD_3": "emu"}
    assert src.mapping == {"WORD_1": "cat", "WORD_2": "dog"}  # not modified
    assert OUT.detokenize(out.tokens, src.mapping) == "cat|<b>dog</b>|WORD_3"


def test_as_a_target_content_the_input_lacks_is_words_the_model_can_learn():
    # A URL splitter's JSON keys are words its input never holds: as fresh placeholders no model
    # could write them; as words, every output writes them alike.
    src = IN.tokenize("cat !dog")
    out = OUT.tokenize_with("cat|<b>dog</b>|emu", src.mapping, fresh_as_words=True)
    assert out.tokens == ("WORD_1", "|", "<b>", "WORD_2", "</b>", "|", "emu")
    assert out.mapping == src.mapping
    assert OUT.detokenize(out.tokens, src.mapping) == "cat|<b>dog</b>|emu"
    assert OUT.tokenize_with("cat|emu", {}).tokens == ("WORD_1", "|", "WORD_2")  # as a source: placeholders
    from pytest_modelizer.data import Pair, encode_pair
    from pytest_modelizer.spec import ModelSpec

    # Both directions' targets: the forward model's output, the inverse model's input.
    forward = encode_pair(ModelSpec(toy.SUBJECT, "forward"), Pair("cat", Behaviour.success("cat|emu")))
    inverse = encode_pair(ModelSpec(toy.SUBJECT, "inverse"), Pair("cat emu", Behaviour.success("cat")))
    assert forward.src == ("WORD_1",) and forward.tgt == ("WORD_1", "|", "emu")
    assert inverse.src == ("WORD_1",) and inverse.tgt == ("WORD_1", " ", "emu")


def test_tokenize_with_matches_a_value_held_under_two_types_by_its_type():
    """"7" is a number and a code span's text in the input: each "7" of the output keeps its type."""
    code = LarkTokenizer('CODE.2: /(?<=`)[^`]+(?=`)/\nNUM: /[0-9]+/\nOTHER.-1: /./s', content=("CODE", "NUM"))
    src = code.tokenize("7 `7`")
    assert src.mapping == {"NUM_1": "7", "CODE_1": "7"}
    assert code.tokenize_with("<code>7</code> `7` 7", src.mapping).tokens == (
        "<", "c", "o", "d", "e", ">", "NUM_1", "<", "/", "c", "o", "d", "e", ">", " ", "`", "CODE_1", "`", " ", "NUM_1")
    # A type the input does not hold the value under still finds it by value.
    assert TWO_KINDS.tokenize_with("7", code.tokenize("`7`").mapping).tokens == ("CODE_1",)


def test_case_insensitive_terminals_are_upper_case_tokens():
    sql = LarkTokenizer('KEYWORD.2: /(?i:select|from) ?/\nWORD: /[a-z]+/\nOTHER.-1: /./s', content=("WORD",),
                        case_insensitive=("KEYWORD",))
    assert sql.tokenize("select a From t").tokens == ("SELECT ", "WORD_1", " ", "FROM ", "WORD_2")
    assert sql.tokenize_with("SELECT a", {"WORD_1": "a"}).tokens == ("SELECT ", "WORD_1")
    # Content keeps its case; the text comes back in the case the tokens are written in.
    tok = sql.tokenize("select Ab")
    assert sql.detokenize(tok.tokens, tok.mapping) == "SELECT Ab"
    assert sql.fingerprint != LarkTokenizer(sql.terminals, content=("WORD",)).fingerprint
    with pytest.raises(ValueError, match="case-insensitive terminals 'KW' are not defined"):
        LarkTokenizer('WORD: /[a-z]+/', case_insensitive=("KW",)).tokenize("a")


def test_case_insensitive_content_is_held_upper_case():
    # A program that copies a name upper-cased (sqlglot writes `my_udf(` as `MY_UDF(`): the input's
    # placeholder stands for the output's spelling, whatever the case the input wrote.
    calls = LarkTokenizer('CALL.2: /[a-z_]+\\(/i\nWORD: /[a-z]+/i\nOTHER.-1: /./s', content=("CALL", "WORD"),
                          case_insensitive=("CALL",))
    src = calls.tokenize("my_udf(a) + My_Udf(B)")
    assert src.tokens == ("CALL_1", "WORD_1", ")", " ", "+", " ", "CALL_1", "WORD_2", ")")
    assert src.mapping == {"CALL_1": "MY_UDF(", "WORD_1": "a", "WORD_2": "B"}
    assert calls.tokenize_with("MY_UDF(a)", src.mapping).tokens == ("CALL_1", "WORD_1", ")")
    assert calls.detokenize(("CALL_1", "WORD_2", ")"), src.mapping) == "MY_UDF(B)"


def test_tokenize_without_catch_all_reports_the_offset():
    strict = LarkTokenizer('WORD: /[a-z]+/\nSP: " "', content=("WORD",))
    with pytest.raises(TokenizeError, match="offset 4"):
        strict.tokenize("cat 42")


def test_content_terminals_must_be_defined():
    with pytest.raises(ValueError, match="NAME"):
        LarkTokenizer('WORD: /[a-z]+/', content=("NAME",)).tokenize("a")


def test_fingerprint_covers_terminals_and_content():
    assert IN.fingerprint == LarkTokenizer(IN.terminals, content=("WORD",)).fingerprint
    assert IN.fingerprint != LarkTokenizer(IN.terminals, content=()).fingerprint
    assert IN.fingerprint != LarkTokenizer(IN.terminals + "\nTAB: /\\t/", content=("WORD",)).fingerprint


# A toy "program" that copies lines between ``` fences and escapes "<" as "&lt;".
FENCED = LarkTokenizer('WORD: /[a-z]+/\nFENCE: "```"\nNL: "\\n"\nSP: " "\nOTHER.-1: /./s', content=("WORD", "LINE"),
                       verbatim=(Verbatim(start=r"(?m)^```\n", end=r"(?m)^```", content="LINE", apart=r"[<\n]"),))
ESCAPED = LarkTokenizer('TAG.2: "<pre>" | "</pre>"\nWORD: /[a-z]+/\nNL: "\\n"\nSP: " "\nLT: "&lt;"\nOTHER.-1: /./s', content=("WORD", "LINE"),
                        verbatim=(Verbatim(start="<pre>", end="</pre>", content="LINE", apart=r"&lt;|\n"),))


def test_a_verbatim_region_makes_each_run_one_placeholder():
    text = "see\n```\nx = f(a, b)\nif a<b: go\n```\nsee also\n"
    tok = FENCED.tokenize(text)
    assert tok.tokens == ("WORD_1", "\n", "```", "\n", "LINE_1", "\n", "LINE_2", "<", "LINE_3", "\n", "```", "\n",
                          "WORD_1", " ", "WORD_2", "\n")
    assert tok.mapping == {"WORD_1": "see", "LINE_1": "x = f(a, b)", "LINE_2": "if a", "LINE_3": "b: go",
                           "WORD_2": "also"}
    assert FENCED.detokenize(tok.tokens, tok.mapping) == text
    # The closing fence opens no region: the text after it is lexed by the terminals.
    assert FENCED.tokenize("```\na b\n```\na b\n").tokens == ("```", "\n", "LINE_1", "\n", "```", "\n",
                                                                 "WORD_1", " ", "WORD_2", "\n")
    # Without a closing fence the region runs to the end of the text.
    assert FENCED.tokenize("```\na b\n").tokens == ("```", "\n", "LINE_1", "\n")
    # An error names the offset in the whole text, not in the part lexed after a region.
    strict = LarkTokenizer('WORD: /[a-z]+/\nFENCE: "```"\nNL: "\\n"', content=("WORD", "LINE"),
                           verbatim=FENCED.verbatim)
    with pytest.raises(TokenizeError, match="'!' at offset 12"):
        strict.tokenize("```\nx y\n```\n!")


def test_the_other_side_reuses_verbatim_runs_and_lexes_those_it_does_not_hold():
    source = FENCED.tokenize("```\nx = f(a)\nif a<b\n```\n")
    html = ESCAPED.tokenize_with("<pre>x = f(a)\nif a&lt;b\n</pre>", source.mapping)
    assert html.tokens == ("<pre>", "LINE_1", "\n", "LINE_2", "&lt;", "LINE_3", "\n", "</pre>")
    assert html.mapping == source.mapping
    # Where the source holds the words, not the line (no region there), the line is lexed as words.
    words = FENCED.tokenize("x a b\n")
    html = ESCAPED.tokenize_with("<pre>x a b</pre>", words.mapping)
    assert "LINE_1" not in html.tokens and html.mapping == words.mapping
    assert ESCAPED.detokenize(html.tokens, html.mapping) == "<pre>x a b</pre>"


def test_verbatim_regions_are_checked_and_enter_the_fingerprint():
    assert FENCED.definition_problem() is None
    no_region = LarkTokenizer(FENCED.terminals, content=FENCED.content)
    assert "LINE" in no_region.definition_problem()  # only a region makes LINE content
    assert FENCED.fingerprint != no_region.fingerprint
    unknown = Verbatim(start="a", end="b", content="CODE", apart="c")
    assert "CODE" in LarkTokenizer(FENCED.terminals, content=("WORD",), verbatim=(unknown,)).definition_problem()
    broken = Verbatim(start="(", end="b", content="WORD", apart="c")
    assert "not a regular expression" in LarkTokenizer(FENCED.terminals, content=("WORD",), verbatim=(broken,)).definition_problem()


# The same toy program's code lines, as a side that writes them escaped (HTML's "&lt;", "&quot;").
WHOLE_LINES = LarkTokenizer(FENCED.terminals, content=FENCED.content,
                            verbatim=(Verbatim(start=r"(?m)^```\n", end=r"(?m)^```", content="LINE", apart=r"\n"),))
HTML_LINES = LarkTokenizer(ESCAPED.terminals, content=ESCAPED.content, escaped=Escaped(("LINE",)),
                           verbatim=(Verbatim(start="<pre>", end="</pre>", content="LINE", apart=r"\n"),))


def test_escaped_content_is_one_placeholder_holding_the_plain_value():
    source = WHOLE_LINES.tokenize('```\nif a<b: d["k"] & c\n```\n')
    assert source.mapping == {"LINE_1": 'if a<b: d["k"] & c'}
    html_text = "<pre>if a&lt;b: d[&quot;k&quot;] &amp; c\n</pre>"
    html = HTML_LINES.tokenize_with(html_text, source.mapping)
    assert html.tokens == ("<pre>", "LINE_1", "\n", "</pre>") and html.mapping == source.mapping
    assert HTML_LINES.detokenize(html.tokens, html.mapping) == html_text  # written back escaped
    # The other way round (the HTML as the input), the plain value is what the other side writes.
    assert HTML_LINES.tokenize(html_text).mapping == source.mapping
    assert WHOLE_LINES.detokenize(source.tokens, HTML_LINES.tokenize(html_text).mapping).startswith("```\nif a<b")


def test_an_escaped_character_written_raw_is_lexed_apart_so_writing_back_is_exact():
    text = '<pre>a "b" &amp; &lt;c & d&gt;</pre>'
    tok = HTML_LINES.tokenize(text)
    assert tok.tokens == ("<pre>", "LINE_1", '"', "LINE_2", '"', "LINE_3", "&", "LINE_4", "</pre>")
    assert tok.mapping == {"LINE_1": "a ", "LINE_2": "b", "LINE_3": " & <c ", "LINE_4": " d>"}
    assert HTML_LINES.detokenize(tok.tokens, tok.mapping) == text


def test_a_value_matched_under_another_type_only_where_both_write_it_alike():
    # The source calls "a<b" and "x" WORDs. The escaped line "a&lt;b" would be written back as
    # "a<b" under WORD_1, so it is a run the source does not hold, lexed by the terminals; "x" is
    # written alike either way.
    words = LarkTokenizer('WORD: /[a-z<]+/\nSP: " "', content=("WORD",)).tokenize("a<b x")
    html = HTML_LINES.tokenize_with("<pre>a&lt;b\nx</pre>", words.mapping)
    assert html.tokens == ("<pre>", "WORD_3", "&lt;", "WORD_4", "\n", "WORD_2", "</pre>")
    assert HTML_LINES.detokenize(html.tokens, html.mapping) == "<pre>a&lt;b\nx</pre>"


def test_escaped_content_is_checked_and_enters_the_fingerprint():
    assert HTML_LINES.definition_problem() is None
    assert HTML_LINES.fingerprint != LarkTokenizer(HTML_LINES.terminals, content=HTML_LINES.content,
                                                   verbatim=HTML_LINES.verbatim).fingerprint
    unknown = LarkTokenizer(ESCAPED.terminals, content=("WORD",), escaped=Escaped(("CODE",)))
    assert "'CODE'" in unknown.definition_problem()
    two_chars = LarkTokenizer(ESCAPED.terminals, content=("WORD",), escaped=Escaped(("WORD",), (("<<", "&ll;"),)))
    assert "single characters" in two_chars.definition_problem()


# A toy renderer's two sides: the source joins words over any spaces, the output writes one.
SPACED_TEXT = LarkTokenizer('TEXT: /[a-z.]+(?: +[a-z.]+)*/\nSP: / +/\nOTHER.-1: /./s', content=("TEXT",))
ONE_SPACE_TEXT = LarkTokenizer('TEXT: /[a-z.]+(?: [a-z.]+)*/\nSP: / +/\nOTHER.-1: /./s', content=("TEXT",),
                               spaces_collapsed=("TEXT",))


def test_content_whose_spaces_the_output_collapses_is_one_placeholder_written_collapsed():
    source = SPACED_TEXT.tokenize("it ends.  then  more|x")
    assert source.tokens == ("TEXT_1", "|", "TEXT_2") and source.mapping["TEXT_1"] == "it ends.  then  more"
    output = ONE_SPACE_TEXT.tokenize_with("<it ends. then more|x>", source.mapping)
    assert output.tokens == ("<", "TEXT_1", "|", "TEXT_2", ">") and output.mapping == source.mapping
    assert ONE_SPACE_TEXT.detokenize(output.tokens, output.mapping) == "<it ends. then more|x>"
    # A value the output writes as it is still matches as it is (a single-spaced one is both).
    assert ONE_SPACE_TEXT.tokenize_with("a b", {"TEXT_1": "a b"}).tokens == ("TEXT_1",)
    # Without the declaration, the collapsed text is content the source does not hold.
    plain = LarkTokenizer(ONE_SPACE_TEXT.terminals, content=("TEXT",))
    assert plain.tokenize_with("<it ends. then more|x>", source.mapping).tokens[1] == "TEXT_3"


def test_spaces_collapsed_is_checked_and_enters_the_fingerprint():
    assert ONE_SPACE_TEXT.definition_problem() is None
    assert ONE_SPACE_TEXT.fingerprint != LarkTokenizer(ONE_SPACE_TEXT.terminals, content=("TEXT",)).fingerprint
    not_content = LarkTokenizer(ONE_SPACE_TEXT.terminals, content=("TEXT",), spaces_collapsed=("SP",))
    assert "'SP'" in not_content.definition_problem() and "content" in not_content.definition_problem()


def test_vocabulary_encode_decode_covers():
    vocab = Vocabulary.build([("WORD_1", " ", "WORD_2"), ("!", "WORD_1")])
    assert vocab.itos[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    assert len(vocab) == 8
    ids = vocab.encode(["WORD_1", "!", "WORD_2"])
    assert ids[0] == BOS and ids[-1] == EOS and UNK not in ids
    assert vocab.decode(ids) == ["WORD_1", "!", "WORD_2"]
    assert vocab.encode(["WORD_9"]) == [BOS, UNK, EOS]
    assert vocab.decode([BOS, vocab.stoi["!"], PAD, EOS, vocab.stoi["WORD_1"]]) == ["!"]
    assert vocab.covers(["WORD_1", " "]) and not vocab.covers(["WORD_1", "?"])


def test_behaviour_tokens_round_trip():
    src = IN.tokenize("cat !dog")
    ok = Behaviour.success("cat|<b>dog</b>")
    tok = behaviour_tokens(OUT, ok, src.mapping)
    assert tok.tokens == ("WORD_1", "|", "<b>", "WORD_2", "</b>")
    assert tokens_behaviour(OUT, tok.tokens, src.mapping) == ok

    failed = Behaviour.failed("ValueError", "numbers are not words")
    tok = behaviour_tokens(OUT, failed, src.mapping)
    assert tok.tokens == (FAILURE_TOKEN, "ValueError")
    back = tokens_behaviour(OUT, tok.tokens, src.mapping)
    assert back.failure == "ValueError" and not back.ok
    # No lexer produces the failure marker, so no output can be mistaken for a failure.
    assert FAILURE_TOKEN not in OUT.tokenize(FAILURE_TOKEN + " x").tokens
    assert tokens_behaviour(OUT, (FAILURE_TOKEN,), {}).failure == "unknown"
