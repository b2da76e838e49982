"""What a subject's samples decide of its training: how long its inputs get, how many placeholders it learns."""
from __future__ import annotations

import random

import toy
from pytest_modelizer.config import ModelConfig, TrainingConfig
from pytest_modelizer.spec import ModelSpec

WORDS = ["cat", "dog", "owl", "bee", "ant", "emu"]
# Lists of three-word items: each item opens six nonterminals, so the fuzzer's limit, not the
# list's probabilities, decides how long its inputs get (a list of plain words never reaches it).
TRIPLES = {
    "<start>": ["<list>"],
    "<list>": ["<item>", "<item> <list>"],
    "<item>": ["<bang><w>-<bang><w>-<bang><w>"],
    "<bang>": ["", "!"],
    "<w>": WORDS,
}
# Room for long lists: the toy model's 64 tokens would leave the longest samples out.
ROOMY = toy.QUICK_TRAINING.replace(max_nonterminals=None, placeholder_limit=None, max_input_chars=1000,
                                   model=ModelConfig(d_model=32, n_heads=2, enc_layers=1, dec_layers=1, d_ff=64,
                                                     max_len=160))


def lists(count: int, items: range, seed: int = 0) -> list[str]:
    """`count` inputs of TRIPLES, each a list of a length drawn from `items`."""
    rng = random.Random(seed)

    def word() -> str:
        return rng.choice(["", "!"]) + rng.choice(WORDS)

    return [" ".join(f"{word()}-{word()}-{word()}" for _ in range(rng.choice(items))) for _ in range(count)]


def triples(samples: list[str]):
    return toy.make_subject(grammar=TRIPLES, samples=samples)


def test_long_samples_let_the_fuzzer_open_more_nonterminals_until_its_inputs_are_as_long(monkeypatch):
    from pytest_modelizer import from_samples
    from pytest_modelizer.data import held_out_inputs, settled_nonterminals
    from pytest_modelizer.from_samples import tail_length

    monkeypatch.setattr(from_samples, "TRIAL_INPUTS", 200)  # long inputs are slow to fuzz; the rule is what is tested
    logged: list[str] = []
    long = triples(lists(200, range(7, 11)))
    assert settled_nonterminals(long, ROOMY, log=logged.append) > 12
    assert any("open nonterminals" in line and "max_nonterminals=" in line for line in logged)  # says so, and how to set it
    short = triples(lists(200, range(1, 3)))
    assert settled_nonterminals(short, ROOMY) == 12  # short samples: the limit without samples

    def items(subject, training):  # of inputs the grammar makes as training does (not the samples)
        return tail_length([len(text.split()) for text in held_out_inputs(subject, 60, training)])

    # The fitted limit makes the synthesized inputs' longest tenth about as long as the samples'
    # (10 items), where the limit without samples cuts them short.
    assert items(long, ROOMY) >= 9 > 1.3 * items(long, ROOMY.replace(max_nonterminals=12))


def test_a_limit_the_configuration_sets_is_kept_whatever_the_samples():
    from pytest_modelizer.data import settled_nonterminals, settled_placeholder_limit

    long = triples(lists(200, range(10, 16)))
    training = ROOMY.replace(max_nonterminals=7, placeholder_limit=3)
    assert settled_nonterminals(long, training) == 7 and settled_placeholder_limit(long, training) == 3
    assert settled_nonterminals(toy.make_subject(), ROOMY) == 12  # no samples: as before they decided it
    assert settled_placeholder_limit(toy.make_subject(), ROOMY) == 0


def test_samples_holding_many_content_runs_renumber_placeholders_as_far():
    from pytest_modelizer.data import settled_placeholder_limit

    # Every word a placeholder (the toy tokenizers' content): each sample holds 9 different ones.
    many = [" ".join(f"{word}{suffix}" for suffix in "abcdefghi") for word in ("x", "y", "zz", "q") * 25]
    assert settled_placeholder_limit(toy.make_subject(samples=many), ROOMY) == 9
    assert settled_placeholder_limit(toy.make_subject(samples=["cat", "!dog"] * 50), ROOMY) == 0  # one run: nothing to renumber


def test_training_renumbers_placeholders_as_far_as_the_samples_hold_them(tmp_path):
    from pytest_modelizer.data import synthesize_pairs
    from pytest_modelizer.learn import prepare

    many = [" ".join(f"{word}{suffix}" for suffix in "abcdefghijkl") for word in ("x", "y", "zz", "q")]
    subject = toy.make_subject(samples=many + lists(40, range(1, 3)))
    training = ROOMY.replace(pairs=200, max_nonterminals=5)
    data = prepare(ModelSpec(subject, "forward", training=training), synthesize_pairs(subject, training, tmp_path))
    assert data.placeholder_limit == 12
    assert "WORD_12" in data.src_vocab.stoi  # every index up to the limit is in the vocabulary


def test_a_subject_without_samples_keeps_its_keys_when_samples_would_decide():
    from pytest_modelizer.data import synthesis_key

    plain, settled = TrainingConfig(), TrainingConfig(max_nonterminals=12, placeholder_limit=0)
    subject = toy.make_subject()
    assert ModelSpec(subject, "forward", training=plain).key == ModelSpec(subject, "forward", training=settled).key
    assert synthesis_key(subject, plain) == synthesis_key(subject, settled)
    steered = toy.make_subject(samples=lists(20, range(1, 4)))
    # With samples, leaving the limits to them is another model than fixing them.
    assert ModelSpec(steered, "forward", training=plain).key != ModelSpec(steered, "forward", training=settled).key
    assert synthesis_key(steered, plain) != synthesis_key(steered, settled)
