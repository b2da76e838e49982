"""Model and training configuration (torch-free, so subjects can import it cheaply)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelConfig:
    """Shape of the encoder-decoder Transformer."""

    d_model: int = 128
    n_heads: int = 4
    enc_layers: int = 2
    dec_layers: int = 2
    d_ff: int = 512
    # No dropout by default: the programs modelled are deterministic and the pairs plentiful, and
    # without it a model learns faster within a time limit (BENCHMARKS.md, user-style subjects).
    dropout: float = 0.0
    max_len: int = 160
    learned_positions: bool = True  # else fixed sinusoids
    # Self-attention turns queries and keys by position (RoPE) on top of the learned positions: a
    # relation learned between neighbours (copy the token after the one just copied, close what
    # opened earlier) then holds at every position, not only where training showed it often. With
    # it, jq -S -c . reached in 98 s the exact match it reached in 5 minutes without (BENCHMARKS.md,
    # user-style subjects); bundled models trained before it pin rotary=False.
    rotary: bool = True
    tie_embeddings: bool = True  # target embedding shared with the output projection
    # One vocabulary and embedding for source and target: a placeholder such as TEXT_3 is then
    # the same vector on both sides, which makes copying it a matter of attention.
    shared_vocab: bool = True

    @classmethod
    def from_meta(cls, fields: dict[str, Any]) -> "ModelConfig":
        """The shape a model's metadata records; a field the model predates takes the value it had then."""
        return cls(**{**MODEL_FIELDS_BEFORE, **fields})


# Fields added after models were shipped, with the value every model made before them has: such a
# field is left out of the key at that value (so the earlier keys stay valid) and assumed where a
# model's metadata lacks it.
MODEL_FIELDS_BEFORE: dict[str, Any] = {"rotary": False}


@dataclass(frozen=True)
class TrainingConfig:
    """How many pairs to synthesize and how to train on them; all of it enters the model key."""

    # Enough pairs that a grammar's rarer constructs (an invalid date, an unclosed quote) are seen
    # hundreds of times; the program runs once per pair, and the pairs are cached.
    pairs: int = 20000
    seed: int = 0
    # How many nonterminals the fuzzer keeps open before it closes its derivation the shortest way:
    # what makes long inputs. None: 12, or for a subject with samples, as many as make its inputs
    # about as long as the samples (`from_samples.fitted_nonterminals`).
    max_nonterminals: int | None = None
    coverage_share: float = 0.1
    max_input_chars: int = 400
    # The share of synthesized inputs replaced by a piece cut from their beginning or end
    # (`synthesis.cut_short`): for a program whose real inputs arrive cut short, as queries quoted
    # in documentation do. 0: none (the default: most programs' inputs arrive whole).
    cut_share: float = 0.0
    val_fraction: float = 0.05
    # Small batches: on 2 CPU threads a batch of 32 trains at nearly the pace of 64 pairs per
    # second and takes twice the steps, which a time-capped run needs (BENCHMARKS.md, user subjects).
    batch_size: int = 32
    lr: float = 1e-3
    max_epochs: int = 60
    max_minutes: float = 10.0
    patience: int = 8
    warmup_steps: int = 100
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    label_smoothing: float = 0.0
    eval_every_pairs: int = 8000  # evaluate at least this often (and every epoch)
    eval_max: int = 500  # validation pairs decoded per evaluation (0: all)
    # Real inputs hold more placeholders than synthetic ones: renumber those of half the training
    # pairs to random increasing indices up to this limit, so that every index gets learned. None:
    # 0 (no renumbering), or for a subject with samples, as many as its samples hold
    # (`from_samples.fitted_placeholder_limit`).
    placeholder_limit: int | None = None
    model: ModelConfig = field(default_factory=ModelConfig)

    def replace(self, **changes: Any) -> "TrainingConfig":
        from dataclasses import replace

        return replace(self, **changes)

    def without_samples(self) -> "TrainingConfig":
        """This configuration for a subject without samples: the fields they would decide, settled."""
        return self.replace(**{name: value for name, value in WITHOUT_SAMPLES.items() if getattr(self, name) is None})


# The fields a subject's samples decide where they are left None, and their value without samples:
# the value they always had before samples decided them (so a subject without samples keeps its key).
WITHOUT_SAMPLES: dict[str, Any] = {"max_nonterminals": 12, "placeholder_limit": 0}


# Training fields added after models were shipped, with the value every model made before them
# has: left out of the key at that value, as MODEL_FIELDS_BEFORE are.
TRAINING_FIELDS_BEFORE: dict[str, Any] = {"cut_share": 0.0}


def keyed_fields(training: TrainingConfig, samples: bool = False) -> dict[str, Any]:
    """The training configuration as a model key holds it: a field added later is absent at its
    earlier value, and without `samples` the fields they would decide hold their value without them."""
    fields = asdict(training if samples else training.without_samples())
    for name, before in TRAINING_FIELDS_BEFORE.items():
        if fields.get(name) == before:
            del fields[name]
    for name, before in MODEL_FIELDS_BEFORE.items():
        if fields["model"].get(name) == before:
            del fields["model"][name]
    return fields
