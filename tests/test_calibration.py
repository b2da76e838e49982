"""Confidence and calibration: when a model's answer is trusted, and the failure exceptions tests see."""
from __future__ import annotations

import pytest

import toy
from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.calibration import Familiarity, Spellings, calibrate, grams, shape
from pytest_modelizer.errors import PredictedFailure, ProgramFailure, failure_exception
from pytest_modelizer.evaluate import Scored, summarize
from pytest_modelizer.spec import ModelSpec


def scored(confidence: float, exact: bool, covered: bool = True, familiar: bool = True) -> Scored:
    return Scored(covered, exact, (), (), confidence, familiar)


def test_threshold_is_the_lowest_at_which_answers_reach_the_target():
    # 200 answers: confidences 1.0 down to 0.005; the wrong ones sit at the bottom and one near the top.
    items = [scored(1 - i / 200, exact=i != 5 and i < 150) for i in range(200)]
    result = calibrate(items, target=0.99)
    # At 150 answers (down to 0.255) one error is allowed (floor(1.5)); below, every answer is wrong.
    assert result["threshold"] == pytest.approx(1 - 149 / 200)
    assert result["answered"] == pytest.approx(0.75) and result["exact_among_answered"] == pytest.approx(149 / 150)


def test_a_set_too_small_to_vouch_answers_nothing_wrong():
    result = calibrate([scored(0.99, False), scored(0.9, True)], target=0.99)
    assert result["threshold"] > 0.99 and result["answered"] == 0


def test_fewer_answers_than_one_error_in_a_hundred_needs_vouch_for_nothing_however_right():
    # 24 right of 24 is what a model 90 % exact gives one time in twelve.
    assert calibrate([scored(0.9, True)] * 24)["answered"] == 0
    assert calibrate([scored(1 - i / 1000, True) for i in range(100)])["answered"] == 1.0


def test_unfamiliar_and_uncovered_inputs_are_never_answered():
    items = [scored(1.0, True)] * 100 + [scored(1.0, False, familiar=False), scored(0.0, False, covered=False)]
    report = summarize(items, calibrate(items)["threshold"])
    assert report["confident"] == pytest.approx(100 / 102) and report["confident_exact"] == 1.0


def test_with_the_other_direction_checking_the_threshold_is_calibrated_on_the_answers_it_leads_back():
    from pytest_modelizer.calibration import calibrate_paired

    # 100 answers the other model leads back, right down to 0.3; 100 it does not, wrong up to 0.95.
    led_back = [Scored(True, True, (), (), 0.3 + i / 200, True, True) for i in range(100)]
    not_led_back = [Scored(True, False, (), (), 0.95 - i / 200, True, False) for i in range(100)]
    alone = calibrate(led_back + not_led_back)
    paired = calibrate_paired(led_back + not_led_back, alone["threshold"])
    assert alone["threshold"] > 0.95 and alone["answered"] == 0  # the wrong ones sit near the top
    assert paired["threshold"] == pytest.approx(0.3) and paired["answered"] == pytest.approx(0.5)
    assert paired["n"] == 200 and paired["exact_among_answered"] == 1.0
    # Wrong answers led back too, at the top: alone, those led back would answer nothing; the own
    # threshold stands.
    wrong_led_back = [Scored(True, False, (), (), 0.99, True, True)] * 2
    assert calibrate([*led_back, *wrong_led_back])["threshold"] > 1
    assert calibrate_paired([*led_back, *wrong_led_back], 0.5)["threshold"] == 0.5


def test_a_pair_of_models_is_calibrated_each_with_the_other_and_only_with_that_one(toy_inverse_cache, tmp_path):
    import shutil

    from pytest_modelizer.learn import calibrate_pair
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.store import ModelStore, load_artifact

    cache = tmp_path / "cache"
    shutil.copytree(toy_inverse_cache, cache)
    store = ModelStore(cache)
    forward, inverse = ModelSpec(toy.SUBJECT, "forward"), ModelSpec(toy.SUBJECT, "inverse")
    saved = calibrate_pair(inverse, store)
    assert sorted(a.meta["direction"] for a in saved) == ["forward", "inverse"]
    mocks = {s: MockProgram(s, load_artifact(store.find_model(s))) for s in (forward, inverse)}
    for one, other in ((forward, inverse), (inverse, forward)):
        mock = mocks[one]
        paired = mock.info.calibration["paired"]
        assert paired["other"] == mocks[other].artifact.key and paired["n"] == mock.info.calibration["n"]
        assert mock.threshold_with(mocks[other]) == paired["threshold"]
        assert mock.threshold_with(None) == mock.threshold  # alone: its own threshold
    for change in ({"key": "0" * 16}, {"created": "2030-01-01T00:00:00Z"}):  # another key; trained again
        retrained = MockProgram(inverse, load_artifact(store.find_model(inverse)))
        retrained.artifact.meta.update(change)
        assert mocks[forward].threshold_with(retrained) == mocks[forward].threshold
    assert calibrate_pair(ModelSpec(toy.SUBJECT, "forward", "failure"), store) == []  # no failure-aspect pairs


def test_a_served_answer_needs_the_threshold_calibrated_with_the_other_model_only_where_it_is_there(
        toy_pytester, toy_inverse_cache, tmp_path):
    import shutil

    from pytest_modelizer.learn import calibrate_pair
    from pytest_modelizer.store import ModelStore, load_artifact, save_artifact, stored_dtype

    cache = tmp_path / "cache"
    shutil.copytree(toy_inverse_cache, cache)
    store = ModelStore(cache)
    forward = ModelSpec(toy.SUBJECT, "forward")
    calibrate_pair(forward, store)
    path = store.find_model(forward)
    artifact = load_artifact(path)  # alone, it answers nothing; checked by the inverse model, anything
    artifact.meta["calibration"].update(threshold=2.0, paired={**artifact.meta["calibration"]["paired"], "threshold": 0.0})
    save_artifact(artifact, path, stored_dtype(artifact.state_dict))
    toy_pytester.makepyfile("""
        import pytest

        @pytest.mark.modelize("shout", on_uncertain="error")
        def test_it(mock_program):
            assert mock_program("cat !dog") == "cat|<b>dog</b>"
        """)
    toy_pytester.runpytest(f"--modelizer-cache-dir={cache}").assert_outcomes(passed=1)
    store.find_model(ModelSpec(toy.SUBJECT, "inverse")).unlink()
    result = toy_pytester.runpytest(f"--modelizer-cache-dir={cache}")
    result.assert_outcomes(failed=1)
    # Why the stricter threshold, and the fix: the model it was calibrated with is not here.
    result.stdout.fnmatch_lines(["*below its threshold 2.000 (its own; checked by the inverse model it was "
                                 "calibrated with, key * trained *, it is 0.000, but that model is not here: ship "
                                 "the two models together, e.g. modelizer train shout --direction inverse --ship*"])


def test_the_summary_says_when_the_other_direction_could_not_check_the_answers(toy_pytester, toy_inverse_cache,
                                                                              tmp_path):
    import shutil

    from pytest_modelizer.store import ModelStore, load_artifact, save_artifact, stored_dtype

    cache = tmp_path / "cache"
    shutil.copytree(toy_inverse_cache, cache)
    path = ModelStore(cache).find_model(ModelSpec(toy.SUBJECT, "inverse"))
    artifact = load_artifact(path)
    artifact.meta["program_source"] = "0" * 16  # trained on other code than the program's of now: drift
    save_artifact(artifact, path, stored_dtype(artifact.state_dict))
    toy_pytester.makepyfile("""
        import pytest

        @pytest.mark.modelize("shout", on_uncertain="accept")
        def test_it(mock_program):
            assert mock_program("cat !dog") == "cat|<b>dog</b>"
        """)
    result = toy_pytester.runpytest(f"--modelizer-cache-dir={cache}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["shout (forward) answers were not checked by the model of the other direction, "
                                 "which was refused: the program of 'shout' * was edited since its inverse model*"])


def test_familiarity_is_the_training_sources_trigrams_with_placeholders_by_type():
    familiarity = Familiarity.learn([("WORD_1", " ", "WORD_2")])
    assert familiarity.unfamiliar(("WORD_7", " ", "WORD_3")) is None  # numbers do not matter
    assert familiarity.unfamiliar(("WORD_1", " ", "WORD_2", " ", "WORD_3")) is not None
    assert Familiarity.from_meta({"calibration": familiarity.to_meta()}) == familiarity


def test_where_the_training_sample_holds_too_few_trigrams_pairs_of_tokens_are_checked():
    import random
    import string

    from pytest_modelizer.calibration import GRAM, checked_grams, grams

    # Letters as tokens, the way a user tokenizes `snake_case` -> `SnakeCase`: 2,000 words of up to
    # 8 letters hold a small part of the 26 ** 3 letter trigrams, and many held-out words hold one
    # never seen; every letter pair is seen.
    rng = random.Random(0)
    words = [tuple(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 8))) for _ in range(2200)]
    train, held_out = words[:2000], words[2000:]
    order, pairs = checked_grams(train, held_out)
    assert order == 2 and pairs == {g for w in train for g in grams(w, 2)}
    familiarity = Familiarity.learn(train, targets=[w[::-1] for w in train],
                                    held_out=[(w, w[::-1]) for w in held_out])
    assert (familiarity.order, familiarity.answer_order) == (2, 2)
    assert sum(familiarity.unfamiliar(w) is None for w in held_out) == len(held_out)
    assert familiarity.unfamiliar(("a", "b", "T_1")) is not None  # a token after a letter no training word held
    assert Familiarity.from_meta({"calibration": familiarity.to_meta()}) == familiarity
    # A grammar of few shapes: its trigrams are all in the sample, and they are checked.
    shapes = [("SELECT ", "IDENT_1", " FROM ", "IDENT_2")] * 50 + [("SELECT ", "*", " FROM ", "IDENT_1")] * 50
    assert checked_grams(shapes, shapes[::10]) == (GRAM, {g for s in shapes for g in grams(s)})
    checked = Familiarity.learn(shapes, held_out=[(s, s) for s in shapes[::10]])
    assert checked.order == GRAM and checked.unfamiliar(("SELECT ", "*", " FROM ", "IDENT_1", " FROM ")) is not None
    # Models stored before the orders were: three tokens.
    meta = checked.to_meta()
    del meta["source_gram_order"], meta["target_gram_order"]
    assert Familiarity.from_meta({"calibration": meta}).order == GRAM


def test_an_answer_unlike_every_training_target_is_unfamiliar():
    # HTML whose code block is never closed: the model was sure of the input, not of what it wrote.
    familiarity = Familiarity.learn([("WORD_1",)], targets=[("<pre>", "<code>", "WORD_1", "</code>", "</pre>")])
    assert familiarity.unfamiliar_answer(("<pre>", "<code>", "WORD_2", "</code>", "</pre>")) is None
    reason = familiarity.unfamiliar_answer(("<pre>", "<code>", "WORD_1", "</pre>"))
    assert "no training output held" in reason and "'<code> WORD_ </pre>'" in reason
    assert Familiarity.from_meta({"calibration": familiarity.to_meta()}) == familiarity
    assert Familiarity.learn([("WORD_1",)]).unfamiliar_answer(("</pre>",)) is None  # not checked


def test_an_answer_must_nest_the_tags_and_brackets_every_training_target_nests():
    from pytest_modelizer.calibration import NESTING_SUPPORT, nesting

    assert nesting(("<ol>\n", "<li>", "T_1", "</li>\n", "</ol>\n")) == ({"ol", "li"}, set())
    assert nesting(("</ol>", "<br />", "f(", "x", "]")) == ({"ol", "(", "["}, {"ol", "(", "["})
    lists = [("<ol>", "<li>", "T_1", "</li>", "</ol>")] * NESTING_SUPPORT
    rare = [("<em>", "T_1", "</em>")] * (NESTING_SUPPORT - 1)
    loose = [("<p>", "T_1", "<br>", "</p>")] * NESTING_SUPPORT  # HTML's <br> is never closed
    familiarity = Familiarity.learn([("T_1",)], targets=lists + rare + loose)
    assert familiarity.nested == {"ol", "li", "p"}  # not <em> (too rare to tell) nor <br>
    checked = Familiarity(frozenset(), nested=familiarity.nested)  # (trigrams aside)
    assert checked.unfamiliar_answer(("<p>", "<em>", "T_1", "<br>", "</p>")) is None
    assert "an answer that does not nest <ol> (closed before opened" in checked.unfamiliar_answer(("<li>", "T_1", "</li>", "</ol>"))
    assert Familiarity.from_meta({"calibration": familiarity.to_meta()}) == familiarity


def test_a_query_must_nest_the_brackets_every_training_source_nests():
    from pytest_modelizer.calibration import NESTING_SUPPORT

    # A fragment cut out of longer SQL: a model answers it as the balanced query it resembles.
    queries = [("SELECT ", "IDENT_1", " FROM ", "(", "SELECT ", "IDENT_2", ")")] * NESTING_SUPPORT
    unmatched = [("T_1", "[", "T_2")] + [("[", "T_1", "]")] * NESTING_SUPPORT  # one source leaves [ open
    familiarity = Familiarity.learn(queries + unmatched)
    assert familiarity.source_nested == {"("}
    open_bracket = ("SELECT ", "IDENT_1", " FROM ", "IDENT_2", "[")
    closed_paren = ("SELECT ", "IDENT_1", " FROM ", "IDENT_2", ")")
    every_gram = frozenset(grams(open_bracket)) | frozenset(grams(closed_paren))  # (trigrams aside)
    checked = Familiarity(every_gram, source_nested=familiarity.source_nested)
    assert checked.unfamiliar(open_bracket) is None
    assert "a query that does not nest ( (closed before opened" in checked.unfamiliar(closed_paren)
    assert Familiarity.from_meta({"calibration": familiarity.to_meta()}) == familiarity
    # A model calibrated before the check has none.
    assert Familiarity.from_meta({"calibration": {"source_trigrams": []}}).source_nested is None


def test_an_answer_must_close_the_quotes_every_training_target_closes():
    from pytest_modelizer.calibration import NESTING_SUPPORT, nesting

    assert nesting(('SELECT 1 AS "', "IDENT_1", '"')) == ({'"'}, set())
    assert nesting(('SELECT 1 AS "', "IDENT_1", " ", "IDENT_2")) == ({'"'}, {'"'})
    assert nesting(("<a href=\"", "URL_1", "\">", "T_1", "</a>")) == ({"a"}, set())  # inside a tag: not a quote
    quoted = [('SELECT "', "IDENT_1", '" FROM ', "IDENT_2")] * NESTING_SUPPORT
    prose = [("T_1", "`", "T_2")] + [("`", "T_1", "`")] * NESTING_SUPPORT  # one code span left open
    familiarity = Familiarity.learn([("T_1",)], targets=quoted + prose)
    assert familiarity.nested == {'"'}  # not the backtick: a training target left one open
    checked = Familiarity(frozenset(), nested=familiarity.nested)
    assert checked.unfamiliar_answer(('SELECT 1 AS "', "IDENT_1", '"')) is None
    assert 'does not nest "' in checked.unfamiliar_answer(('SELECT 1 AS "', "IDENT_1", " ", "IDENT_2"))


def test_an_answer_must_hold_each_token_sequence_inside_a_tag_some_training_output_held_there():
    from pytest_modelizer.calibration import NESTING_SUPPORT, placed_grams

    # pandoc: blank lines inside a code block, never inside a paragraph.
    code = ("<pre><code>", "T_1", "\n", "\n", "\n", "T_2", "</code></pre>\n")
    paragraph = ("<p>", "T_1", "\n", "T_2", "</p>\n")
    assert ("code", "T_", "\n", "\n") in placed_grams(code, {"pre", "code", "p"})
    assert ("", "\u27e8s\u27e9", "<p>", "T_") in placed_grams(paragraph, {"p"})  # <p> itself is not inside <p>
    assert ("p", "<p>", "T_", "\n") in placed_grams(paragraph, {"p"})
    # Pairs too (where trigrams are too sparse to check): the last one ends the answer, outside <p>.
    assert placed_grams(paragraph, {"p"}, 2)[-2:] == [("p", "T_", "</p>\n"), ("", "</p>\n", "\u27e8/s\u27e9")]
    familiarity = Familiarity.learn([("T_1",)], targets=[code, paragraph] * NESTING_SUPPORT)
    assert familiarity.unfamiliar_answer(("<p>", "T_3", "\n", "T_1", "</p>\n")) is None
    # Every trigram of this answer is some training output's, but blank lines inside <p> none.
    answer = ("<p>", "T_1", "\n", "\n", "\n", "T_2", "</p>\n")
    assert familiarity.answers >= set(grams(answer))
    assert familiarity.unfamiliar_answer(answer) == \
        "an answer holding a token sequence no training output held inside <p>: 'T_ \\n \\n'"
    assert Familiarity.from_meta({"calibration": familiarity.to_meta()}) == familiarity
    # Outputs without tags that nest (brackets only, or none) have nothing to place trigrams in.
    assert Familiarity.learn([("T_1",)], targets=[("[", "T_1", "]")] * NESTING_SUPPORT).placed is None


def test_an_answer_must_copy_placeholders_as_every_training_output_did_where_they_stand():
    from pytest_modelizer.calibration import COPY_EVIDENCE, copy_rules

    # An HTML-like program: a paragraph's text is copied once, an autolink's URL twice.
    paragraph = (("T_1", "\n", "T_2"), ("<p>", "T_1", "\n", "T_2", "</p>"))
    autolink = (("<", "U_1", ">"), ("<a>", "U_1", "</a>", "U_1"))
    failing = (("T_1",), ("\u27c2FAIL", "ValueError"))  # failures tell nothing about copying
    rare = (("[", "T_1"), ("T_1",))  # a context seen too rarely for a rule
    pairs = [paragraph, autolink, failing] * COPY_EVIDENCE + [rare] * (COPY_EVIDENCE - 1)
    assert copy_rules(pairs) == {"T": {"\u27e8s\u27e9": ["at most", "each"], "\n": ["at most", "each"],
                                       "": ["from the input"]},
                                 "U": {"<": ["each"], "": ["from the input"]}}
    familiarity = Familiarity.learn([src for src, _ in pairs], targets=[tgt for _, tgt in pairs])
    checked = Familiarity(frozenset(), copies=familiarity.copies)  # (trigrams aside)
    source = ("T_1", "\n", "T_2")
    assert checked.unfamiliar_answer(("<p>", "T_1", "\n", "T_2", "</p>"), source) is None
    assert "without the input's T_2" in checked.unfamiliar_answer(("<p>", "T_1", "</p>"), source)
    assert "holding T_2 2 times, the input 1" in checked.unfamiliar_answer(("T_1", "T_2", "T_2"), source)
    assert "holding T_3, which the input does not" in checked.unfamiliar_answer(("T_1", "T_2", "T_3"), source)
    assert checked.unfamiliar_answer(("<a>", "U_1", "</a>", "U_1"), ("<", "U_1", ">")) is None  # repeated where it is
    assert checked.unfamiliar_answer(("T_1",), ("[", "T_1", "\n", "T_2")) is not None  # T_2 is checked; "[" is not
    assert checked.unfamiliar_answer(("\u27c2FAIL", "ValueError"), source) is None
    assert Familiarity.from_meta({"calibration": familiarity.to_meta()}) == familiarity
    assert Familiarity.learn([source]).unfamiliar_answer(("T_1",), source) is None  # not checked


def test_familiar_values_hold_only_the_characters_allowed_for_their_type():
    familiarity = Familiarity.learn([("WORD_1",)], {"WORD": {"letter", "'"}})
    assert familiarity.unfamiliar(("WORD_1",), {"WORD_1": "Dön't"}) is None  # letters of any script alike
    reason = familiarity.unfamiliar(("WORD_1",), {"WORD_1": "d&og"})
    assert "WORD_1 holds '&' ('d&og')" in reason and "not seen to copy it as is" in reason
    assert familiarity.unfamiliar(("WORD_1",), {"WORD_1": "7"}) is not None
    assert Familiarity.from_meta({"calibration": familiarity.to_meta()}) == familiarity
    assert Familiarity.learn([("WORD_1",)]).unfamiliar(("WORD_1",), {"WORD_1": "d&og"}) is None  # not checked


def test_a_value_holding_a_run_the_program_was_not_seen_to_copy_is_unfamiliar():
    familiarity = Familiarity.learn([("CODE_1",)], {"CODE": {"letter", " ", "-"}}, runs={"CODE": {"-"}})
    assert familiarity.unfamiliar(("CODE_1",), {"CODE_1": "a b --c"}) is None
    reason = familiarity.unfamiliar(("CODE_1",), {"CODE_1": "a   b"})
    assert "CODE_1 holds a run of ' ' ('a   b')" in reason and "not seen to copy one as is" in reason
    assert Familiarity.from_meta({"calibration": familiarity.to_meta()}) == familiarity
    assert Familiarity.learn([("CODE_1",)], {"CODE": {"letter", " "}}).unfamiliar(("CODE_1",), {"CODE_1": "a  b"}) is None


def test_a_value_the_program_treats_specially_is_familiar_only_where_it_was_seen_copied():
    sources = [("!", "WORD_1", " ", "WORD_2")]
    familiarity = Familiarity.learn(sources, {"WORD": {"letter"}}, words={"WORD": {"not": [("!", " ")]}})
    assert familiarity.unfamiliar(sources[0], {"WORD_1": "not", "WORD_2": "cat"}) is None
    reason = familiarity.unfamiliar(sources[0], {"WORD_1": "cat", "WORD_2": "not"})
    assert "WORD_2 is 'not', a word the program was seen to treat specially" in reason and "' '" in reason
    assert Familiarity.from_meta({"calibration": familiarity.to_meta()}) == familiarity


def test_a_value_holding_what_the_program_does_not_copy_is_not_answered_with_confidence(tmp_path):
    from pytest_modelizer.learn import learn
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.store import ModelStore

    spec = ModelSpec(toy.ESCAPING_SUBJECT, "forward")
    mock = MockProgram(spec, learn(spec, ModelStore(tmp_path)))
    assert mock.info.calibration["content_classes"] == {"WORD": ["'", "letter"]}
    assert mock.familiarity.unfamiliar(*mock.encode("do'g")) is None  # (the quick model's answer may not be)
    escaped = mock.predict("d&og")
    assert not escaped.familiar and not escaped.confident and "'&'" in escaped.reason


def test_a_word_the_program_acts_on_in_a_placeholder_is_not_answered_with_confidence(tmp_path):
    from pytest_modelizer.learn import learn
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.store import ModelStore

    spec = ModelSpec(toy.NEGATING_SUBJECT, "forward")
    mock = MockProgram(spec, learn(spec, ModelStore(tmp_path)))
    assert mock.info.calibration["special_words"] == {"WORD": {"not": []}}
    assert mock.familiarity.unfamiliar(*mock.encode("cat not !dog")) is None
    negated = mock.predict("cat !not")
    assert not negated.familiar and not negated.confident and "WORD_2 is 'not'" in negated.reason


def test_a_query_nesting_deeper_than_every_training_input_is_unfamiliar():
    from pytest_modelizer.calibration import depths

    assert depths(("<ul>", "<li>", "<ul>", "<li>", "T_1", "</li>", "</ul>", "</li>", "</ul>", "f(", "(", ")", ")")) == \
        {"ul": 2, "li": 2, "(": 2}
    # pandoc's HTML of `__a __b__, c__`: a <strong> inside a <strong>, where training made none.
    familiarity = Familiarity.learn([("<p>", "<strong>", "T_1", "</strong>", " ", "<em>", "T_2", "</em>", "</p>"),
                                     ("<p>", "<em>", "T_1", " ", "<em>", "T_2", "</em>", "</em>", "</p>")])
    assert familiarity.depth == {"p": 1, "strong": 1, "em": 2}
    nested = ("<p>", "<strong>", "T_1", " ", "<strong>", "T_2", "</strong>", "</strong>", "</p>")
    assert Familiarity(familiarity.seen | set(grams(nested))).unfamiliar(nested) is None  # every trigram alike
    checked = Familiarity(familiarity.seen | set(grams(nested)), depth=familiarity.depth)
    assert checked.unfamiliar(nested) == "<strong> nested 2 deep, where no training input nested it more than 1 deep"
    assert checked.unfamiliar(("<p>", "<em>", "T_1", " ", "<em>", "T_2", "</em>", "</em>", "</p>")) is None
    bold = ("<p>", "<b>", "<b>", "T_1", "</b>", "</b>", "</p>")  # no training input held <b>: the trigrams judge it
    assert Familiarity(frozenset(grams(bold)), depth=familiarity.depth).unfamiliar(bold) is None
    assert Familiarity.from_meta({"calibration": familiarity.to_meta()}) == familiarity


def test_a_trained_model_carries_its_calibration(toy_cache):
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.store import ModelStore, load_artifact

    store = ModelStore(toy_cache)
    spec = ModelSpec(toy.SUBJECT, "forward")
    mock = MockProgram(spec, load_artifact(store.find_model(spec)))
    calibration = mock.info.calibration
    assert 0 < mock.info.threshold <= 1 + 1e-6 and calibration["target"] == 0.99 and calibration["source_trigrams"]
    assert calibration["target_trigrams"] and calibration["nested"] == ["b"]  # shout writes <b>...</b>
    assert calibration["copies"]["WORD"]["\u27e8s\u27e9"] == ["at most", "each"]  # each word once, where it was
    assert isinstance(calibration["alike_spellings"], list)  # learned (the toy program may treat none alike)
    assert "confident" in mock.info.metrics and "confident_exact" in mock.info.metrics
    prediction = mock.predict("cat !dog")
    assert 0 < prediction.confidence <= 1 and prediction.familiar
    assert mock.predict("cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat").covered
    batch = mock.predict_batch(["owl bee", "ant"])  # batched decoding gives the confidence numpy gives alone
    mock.clear_memo()
    assert [p.confidence for p in batch] == pytest.approx([mock.predict(t).confidence for t in ("owl bee", "ant")],
                                                          abs=1e-4)


def test_a_failure_is_raised_as_the_programs_own_type_too():
    subject = toy.make_subject(exception_types={"LookupError2": "no.such.module.Error"})
    predicted = failure_exception(subject, Behaviour.failed("ValueError", "numbers are not words"), predicted=True)
    assert isinstance(predicted, ValueError) and isinstance(predicted, PredictedFailure)
    assert "predicts the program fails with ValueError: numbers are not words" in str(predicted)
    real = failure_exception(subject, Behaviour.failed("KeyError", "x"), predicted=False)
    assert isinstance(real, KeyError) and isinstance(real, ProgramFailure) and not isinstance(real, PredictedFailure)
    # A failure-aspect kind, a type that cannot be imported (the program is absent), a runner kind.
    assert isinstance(failure_exception(subject, Behaviour(failure="ValueError: numbers are"), True), ValueError)
    assert type(failure_exception(subject, Behaviour(failure="LookupError2"), True)) is PredictedFailure
    assert type(failure_exception(subject, Behaviour(failure="timeout"), True)) is PredictedFailure


def test_the_application_handler_catches_a_predicted_failure(toy_pytester, toy_cache, monkeypatch):
    toy_pytester.makepyfile(app="""
        def render(text):
            raise RuntimeError("not available")

        def page(text):
            try:
                return render(text)
            except ValueError:
                return "invalid"
        """)
    toy_pytester.makepyfile("""
        import pytest
        import app
        from pytest_modelizer import ProgramFailure

        @pytest.mark.modelize("shout", patch="app.render")
        def test_it():
            assert app.page("cat 7") == "invalid"  # the real program (on_uncertain=real) raises ValueError
        """)
    result = toy_pytester.runpytest("--modelizer-cache-dir", str(toy_cache))
    result.assert_outcomes(passed=1)


def test_an_answer_is_consistent_when_the_other_direction_leads_back_to_the_same_shape():
    from types import SimpleNamespace

    from pytest_modelizer.calibration import consistent
    from pytest_modelizer.mock import Prediction

    class Model:  # the two directions of a subject whose inputs are words and bangs
        spec = SimpleNamespace(is_failure=False)
        spellings = Spellings(frozenset({("\u27e8s\u27e9", "!", "?")}))  # "!" and "?" alike at the start

        def __init__(self, answers):
            self.answers = answers

        def encode(self, text):
            return tuple("WORD_1" if w.isalpha() else w for w in text.split()), {}

        def predict_batch(self, texts, count=True):
            return [Prediction(Behaviour.success(self.answers[t]), confident=True) for t in texts]

    forward = Model({})
    inverse = Model({"<b>cat</b>": "! CAT", "dog": "dog dog"})
    right = Prediction(Behaviour.success("<b>cat</b>"), src_tokens=("!", "WORD_1"), confident=True)
    wrong = Prediction(Behaviour.success("dog"), src_tokens=("WORD_1",), confident=True)
    failure = Prediction(Behaviour(failure="ValueError"), src_tokens=("1",), confident=True)
    assert consistent([right, wrong, failure], forward, inverse) == [True, False, True]  # case does not count
    alike = Prediction(Behaviour.success("<i>owl</i>"), src_tokens=("!", "WORD_1"), confident=True)
    assert consistent([alike], forward, Model({"<i>owl</i>": "? owl"})) == [True]  # a spelling the program treats alike
    assert consistent([alike], forward, Model({"<i>owl</i>": "? owl ?"})) == [False]

    class Numbering(Model):  # placeholders numbered by first appearance, as tokenizers do
        def encode(self, text):
            words = list(dict.fromkeys(w for w in text.split() if w.isalpha()))
            return tuple(f"WORD_{words.index(w) + 1}" if w.isalpha() else w for w in text.split()), {}

    join = Prediction(Behaviour.success("a==b"), src_tokens=("WORD_1", "=", "WORD_2"), confident=True)
    assert consistent([join], Numbering({}), Model({"a==b": "a = b"})) == [True]
    assert consistent([join], Numbering({}), Model({"a==b": "a = a"})) == [False]  # names mixed up
    assert consistent([wrong], forward, None) == [True]  # no other model: nothing to check


def test_spellings_the_program_treats_alike_are_learned_in_their_context():
    """Markdown-like: "- " and "* " start the same list; "1. " and "2. " are alike only after a
    list's first item (a first item's number sets the list's start)."""
    def pair(src, tgt):
        return tuple(src.split("|")), tuple(tgt.split("|"))

    pairs = []
    for n in range(1, 4):  # three distinct pairs of each: the evidence a spelling needs
        w = f"TEXT_{n}"
        pairs += [pair(f"- |{w}", f"<ul>|{w}"), pair(f"* |{w}", f"<ul>|{w}"),
                  pair(f"1. |{w}|\n|1. |{w}", f"<ol>|{w}|{w}"), pair(f"1. |{w}|\n|2. |{w}", f"<ol>|{w}|{w}"),
                  pair(f"1. |{w}", f"<ol>|{w}"), pair(f"2. |{w}", f"<ol start=2>|{w}")]
    spellings = Spellings.learn(pairs)
    assert spellings.same(shape(("- ", "TEXT_1")), shape(("* ", "TEXT_9")))
    assert spellings.same(shape(("1. ", "TEXT_1", "\n", "2. ", "TEXT_1")), shape(("1. ", "TEXT_1", "\n", "1. ", "TEXT_1")))
    assert not spellings.same(shape(("1. ", "TEXT_1")), shape(("2. ", "TEXT_1")))  # the outputs differ
    assert not spellings.same(shape(("- ", "TEXT_1")), shape(("- ", "TEXT_1", "\n")))
    # Two pairs are not evidence enough.
    assert Spellings.learn(pairs[:12]).alike < spellings.alike
    assert Spellings.from_meta({"calibration": {"alike_spellings": spellings.to_meta()}}) == spellings
    assert Spellings.from_meta({"calibration": {}}) == Spellings()  # a model calibrated before spellings
