"""Decoders a mock owns: greedy decoding in numpy for replay, torch for the training stack.

`NumpyDecoder` needs nothing but numpy and the weights under their `Seq2Seq` state-dict names, so
a model replays where torch is not installed. A decoder step for one sequence is about sixty
operations on vectors of 128-512 floats: torch pays several microseconds of dispatch for each,
numpy under one, so numpy is also the faster choice on the CPU. The arithmetic is the model's
(same GELU, same LayerNorm epsilon, the same masking of padded sources), so it decodes what
`Seq2Seq.decode` decodes up to float rounding (tests/test_decoder.py).

`TorchDecoder` holds a `Seq2Seq` for what numpy does not do: another device, sampling at a
temperature (seeded by torch's generator, so that case generation repeats for a seed) and next-token
probabilities after a forced prefix (failure screening).

Shapes: B batch, S source length, L positions decoded so far, H heads, K head size, D = H * K,
F d_ff, V vocabulary.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping, Protocol, Sequence

import numpy as np

from pytest_modelizer.config import ModelConfig
from pytest_modelizer.tokenizer import BOS, EOS, PAD
from pytest_modelizer.training_stack import require_torch

if TYPE_CHECKING:
    from pytest_modelizer.model import Seq2Seq

Decoded = tuple[list[int], float]  # ids without BOS/EOS, and the lowest probability of a token (end included)


class Decoder(Protocol):
    """What a mock decodes with: greedy answers with their confidence."""

    def decode(self, src: Sequence[Sequence[int]], max_len: int | None = None,
               batch_size: int = 64) -> list[Decoded]:
        """(ids, confidence) per source."""


_LN_EPS = 1e-5  # nn.LayerNorm's default, which the model uses
_SQRT_HALF = math.sqrt(0.5)


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    """LayerNorm over the last axis of x (..., D)."""
    n = x.shape[-1]
    if x.ndim == 1:  # a decoder step of one sequence: scalar statistics are cheaper
        d = x - np.add.reduce(x) / n
        return d * (g / math.sqrt(float(d @ d) / n + _LN_EPS)) + b
    d = x - np.add.reduce(x, axis=-1, keepdims=True) / n
    return d * (g / np.sqrt(np.add.reduce(d * d, axis=-1, keepdims=True) / n + _LN_EPS)) + b


def _softmax_(s: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in place."""
    s -= s.max(-1, keepdims=True)
    np.exp(s, out=s)
    s /= np.add.reduce(s, axis=-1, keepdims=True)
    return s


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, as F.gelu; erf by Abramowitz-Stegun 7.1.26 (error < 1.5e-7, float32's own).

    In place on temporaries: on a batch this runs on (B, S, F) arrays, where each new array costs.
    """
    z = np.abs(x)
    z *= _SQRT_HALF
    t = z * 0.3275911
    t += 1.0
    np.reciprocal(t, out=t)
    erf = t * 1.061405429  # erf(|x| / sqrt 2) = 1 - t (a1 + t (a2 + ...)) exp(-z^2), by Horner
    for a in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        erf += a
        erf *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    erf *= z
    np.subtract(1.0, erf, out=erf)
    np.copysign(erf, x, out=erf)
    erf += 1.0
    erf *= x
    erf *= 0.5
    return erf


def sinusoids(length: int, dim: int) -> np.ndarray:
    """The fixed position table (length, dim) of a model without learned positions, as model.py builds it."""
    pos = np.arange(length, dtype=np.float32)[:, None]
    step = np.float32(-math.log(10000.0) / dim)
    freq = np.exp((np.arange(0, dim, 2, dtype=np.float32) * step).astype(np.float64)).astype(np.float32)
    table = np.zeros((length, dim), np.float32)
    angle = (pos * freq).astype(np.float64)  # float32 products, as torch forms them; sin/cos rounded once
    table[:, 0::2] = np.sin(angle).astype(np.float32)
    table[:, 1::2] = np.cos(angle[:, : dim // 2]).astype(np.float32)
    return table


def _kept(cache: np.ndarray, rows: np.ndarray, filled: int, axis: int) -> np.ndarray:
    """A cache of the same length holding `rows` of `cache`, copying only its first `filled` positions along `axis`."""
    kept = np.empty((len(rows), *cache.shape[1:]), cache.dtype)
    index = (slice(None),) * axis + (slice(0, filled),)
    kept[index] = cache[index][rows]
    return kept


def _strip(ids: Sequence[int]) -> list[int]:
    out = []
    for i in ids:
        if i == EOS or i == PAD:
            break
        out.append(int(i))
    return out


def rotary_angles(length: int, head_size: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin (length, K/2) of rotary position angles, as model.py builds them."""
    step = np.float32(-math.log(10000.0) / head_size)
    freq = np.exp((np.arange(0, head_size, 2, dtype=np.float32) * step).astype(np.float64)).astype(np.float32)
    angle = (np.arange(length, dtype=np.float32)[:, None] * freq).astype(np.float64)
    return np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)


def _turn(x: np.ndarray, turns: np.ndarray) -> np.ndarray:
    """x (..., K) float32, its pairs interleaved (see NumpyDecoder), turned by `turns` (..., K/2) complex64.

    Each pair (a, b) read as a + ib times cos + i sin is (a cos - b sin, a sin + b cos): the
    model's rotation, in one multiplication.
    """
    return (x.view(np.complex64) * turns).view(np.float32)


class NumpyDecoder:
    """Greedy decoding with a KV cache, single or batched, on float32 numpy copies of the weights."""

    def __init__(self, cfg: ModelConfig, weights: Mapping[str, Any]):
        w = {name: np.ascontiguousarray(np.asarray(value, dtype=np.float32)) for name, value in weights.items()}
        self.cfg = cfg
        self.h, self.k = cfg.n_heads, cfg.d_model // cfg.n_heads
        self.scale = np.float32(1.0 / math.sqrt(self.k))
        self.tgt_emb = w["tgt_emb.weight"]  # (V, D)
        self.src_emb = w.get("src_emb.weight", self.tgt_emb)  # a shared vocabulary has one embedding
        if cfg.learned_positions:
            self.src_pos, self.tgt_pos = w["src_pos"], w["tgt_pos"]  # (max_len, D)
        else:
            self.src_pos = self.tgt_pos = sinusoids(cfg.max_len, cfg.d_model)
        self.head = np.ascontiguousarray(w.get("head.weight", self.tgt_emb).T)  # (D, V): the embedding when tied
        # Self-attention queries and keys turned by position (cross-attention never is). The model
        # turns each pair (i, i + K/2) of a head; here the q and k projections' columns are reordered
        # so that each pair is adjacent, a complex number, and a turn is one multiplication by
        # cos + i sin (max_len, K/2). Reordering both alike leaves every score q . k as it is.
        self.rot = pairs = turned_kv = None
        if cfg.rotary:
            cos, sin = rotary_angles(cfg.max_len, self.k)
            self.rot = (cos + 1j * sin).astype(np.complex64)
            half = self.k // 2
            within = np.stack([np.arange(half), np.arange(half) + half], axis=1).reshape(-1)  # 0, K/2, 1, K/2+1, ...
            pairs = (np.arange(self.h)[:, None] * self.k + within).reshape(-1)
            turned_kv = np.concatenate([pairs, cfg.d_model + np.arange(cfg.d_model)])  # keys reordered, values not

        def linear(name: str, columns: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
            """y = x @ w + b, as nn.Linear; `columns` picks and orders the outputs."""
            weight, bias = w[f"{name}.weight"].T, w[f"{name}.bias"]
            if columns is not None:
                weight, bias = weight[:, columns], bias[columns]
            return np.ascontiguousarray(weight), np.ascontiguousarray(bias)

        def norm(name: str) -> tuple[np.ndarray, np.ndarray]:
            return w[f"{name}.weight"], w[f"{name}.bias"]

        self.enc_ln, self.dec_ln = norm("enc_ln"), norm("dec_ln")
        self.encoder = [
            (norm(f"{p}.ln1"), linear(f"{p}.attn.q", pairs), linear(f"{p}.attn.kv", turned_kv), linear(f"{p}.attn.out"),
             norm(f"{p}.ln2"), linear(f"{p}.ff.up"), linear(f"{p}.ff.down"))
            for p in (f"encoder.{i}" for i in range(cfg.enc_layers))
        ]
        self.decoder = [
            (norm(f"{p}.ln1"), linear(f"{p}.self_attn.q", pairs), linear(f"{p}.self_attn.kv", turned_kv),
             linear(f"{p}.self_attn.out"),
             norm(f"{p}.ln2"), linear(f"{p}.cross_attn.q"), linear(f"{p}.cross_attn.kv"),
             linear(f"{p}.cross_attn.out"), norm(f"{p}.ln3"), linear(f"{p}.ff.up"), linear(f"{p}.ff.down"))
            for p in (f"decoder.{i}" for i in range(cfg.dec_layers))
        ]

    def decode(self, src: Sequence[Sequence[int]], max_len: int | None = None,
               batch_size: int = 64) -> list[Decoded]:
        """(ids, confidence) per source, at most `max_len` tokens each; batched by sorted source length."""
        steps = self.cfg.max_len if max_len is None else max(1, min(max_len, self.cfg.max_len))
        if len(src) == 1:
            return [self.decode_one(src[0], steps)]
        order = sorted(range(len(src)), key=lambda i: len(src[i]))
        results: list[Decoded] = [([], 0.0)] * len(src)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            for i, out in zip(idx, self._decode_batch([src[i] for i in idx], steps)):
                results[i] = out
        return results

    # -- one sequence: vectors, no padding -------------------------------------------------
    def _heads(self, x: np.ndarray) -> np.ndarray:
        """(L, D) -> (H, L, K)."""
        return x.reshape(x.shape[0], self.h, self.k).transpose(1, 0, 2)

    def encode(self, src: Sequence[int]) -> np.ndarray:
        """Memory (S, D) of one source, as Seq2Seq.encode."""
        return self._encode(np.asarray(src, dtype=np.int64)[None], None)[0]

    def decode_one(self, src: Sequence[int], steps: int) -> Decoded:
        """Ids and confidence for one source, at most `steps` tokens."""
        H, K, D, scale = self.h, self.k, self.h * self.k, self.scale
        memory = self.encode(src)
        layers = []
        for layer in self.decoder:
            wkv, bkv = layer[6]
            kv = memory @ wkv + bkv  # (S, 2D)
            mem_kt = np.ascontiguousarray(self._heads(kv[:, :D]).transpose(0, 2, 1))  # (H, K, S)
            mem_v = np.ascontiguousarray(self._heads(kv[:, D:]))  # (H, S, K)
            cache_kt, cache_v = np.empty((H, K, steps), np.float32), np.empty((H, steps, K), np.float32)
            layers.append((*layer, mem_kt, mem_v, cache_kt, cache_v))
        emb, pos, head, (gf, bf) = self.tgt_emb, self.tgt_pos, self.head, self.dec_ln
        out: list[int] = []
        tok = BOS
        confidence = 1.0
        rot = self.rot
        for t in range(steps):
            x = emb[tok] + pos[t]  # (D,)
            for ((g1, b1), (wq, bq), (wkv, bkv), (wo, bo), (g2, b2), (cwq, cbq), _, (cwo, cbo), (g3, b3), (wu, bu),
                 (wd, bd), mem_kt, mem_v, kt, v) in layers:
                h = _layer_norm(x, g1, b1)
                kv = h @ wkv + bkv  # (2D,)
                k = kv[:D].reshape(H, K)
                q = ((h @ wq + bq) * scale).reshape(H, 1, K)
                if rot is not None:
                    k, q = _turn(k, rot[t]), _turn(q, rot[t])
                kt[:, :, t] = k
                v[:, t] = kv[D:].reshape(H, K)
                x = x + (_softmax_(q @ kt[:, :, :t + 1]) @ v[:, :t + 1]).reshape(D) @ wo + bo  # (H, 1, L) @ (H, L, K)
                q = ((_layer_norm(x, g2, b2) @ cwq + cbq) * scale).reshape(H, 1, K)
                x = x + (_softmax_(q @ mem_kt) @ mem_v).reshape(D) @ cwo + cbo  # (H, 1, S) @ (H, S, K)
                x = x + _gelu(_layer_norm(x, g3, b3) @ wu + bu) @ wd + bd  # (F,) -> (D,)
            logits = _layer_norm(x, gf, bf) @ head  # (V,)
            logits[PAD] = logits[BOS] = -np.inf
            tok = int(logits.argmax())
            # The argmax's softmax probability: exp(0) over the sum of exp(logits - max).
            confidence = min(confidence, 1.0 / float(np.exp(logits - logits[tok]).sum()))
            if tok == EOS:
                return out, confidence
            out.append(tok)
        return out, 0.0  # cut at `steps` without its end: not an answer the model is sure of

    # -- a batch: padded sources, finished rows dropped as they finish ------------------------
    def _encode(self, ids: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        """Memory (B, S, D) of padded sources ids (B, S); bias (B, 1, 1, S) is -inf on padding, None without."""
        B, S = ids.shape
        H, K, D = self.h, self.k, self.h * self.k
        x = self.src_emb[ids] + self.src_pos[:S]  # (B, S, D)
        for (g1, b1), (wq, bq), (wkv, bkv), (wo, bo), (g2, b2), (wu, bu), (wd, bd) in self.encoder:
            h = _layer_norm(x, g1, b1)
            q = ((h @ wq + bq) * self.scale).reshape(B, S, H, K).transpose(0, 2, 1, 3)  # (B, H, S, K)
            kv = h @ wkv + bkv  # (B, S, 2D): keys then values, as Attention.keys_values splits them
            if self.rot is None:
                kt = kv[..., :D].reshape(B, S, H, K).transpose(0, 2, 3, 1)  # (B, H, K, S)
            else:
                turns = self.rot[:S]  # (S, K/2)
                q = _turn(q, turns)
                kt = _turn(kv[..., :D].reshape(B, S, H, K).transpose(0, 2, 1, 3), turns).transpose(0, 1, 3, 2)
            v = kv[..., D:].reshape(B, S, H, K).transpose(0, 2, 1, 3)  # (B, H, S, K)
            s = q @ kt  # (B, H, S, S)
            if bias is not None:
                s += bias
            a = _softmax_(s) @ v  # (B, H, S, K)
            x = x + a.transpose(0, 2, 1, 3).reshape(B, S, D) @ wo + bo
            x = x + _gelu(_layer_norm(x, g2, b2) @ wu + bu) @ wd + bd
        return _layer_norm(x, *self.enc_ln)

    def _decode_batch(self, src: Sequence[Sequence[int]], steps: int) -> list[Decoded]:
        B, S = len(src), max(len(s) for s in src)
        H, K, D, scale = self.h, self.k, self.h * self.k, self.scale
        ids = np.full((B, S), PAD, np.int64)
        for i, s in enumerate(src):
            ids[i, :len(s)] = s
        padded = ids == PAD
        bias = np.where(padded, np.float32(-np.inf), np.float32(0))[:, None, None, :] if padded.any() else None
        memory = self._encode(ids, bias)
        mem_kt, mem_v = [], []  # per layer (B, H, K, S), (B, H, S, K): computed once
        for layer in self.decoder:
            wkv, bkv = layer[6]
            kv = memory @ wkv + bkv  # (B, S, 2D)
            mem_kt.append(np.ascontiguousarray(kv[..., :D].reshape(B, S, H, K).transpose(0, 2, 3, 1)))
            mem_v.append(np.ascontiguousarray(kv[..., D:].reshape(B, S, H, K).transpose(0, 2, 1, 3)))
        cache_kt = [np.empty((B, H, K, steps), np.float32) for _ in self.decoder]
        cache_v = [np.empty((B, H, steps, K), np.float32) for _ in self.decoder]
        owner = np.arange(B)  # the source each row of the working arrays decodes
        done = np.zeros(B, bool)  # rows whose source has its answer
        out = np.full((B, steps), PAD, np.int64)
        confidence = np.ones(B)
        tok = np.full(B, BOS, np.int64)
        emb, pos, head, (gf, bf), rot = self.tgt_emb, self.tgt_pos, self.head, self.dec_ln, self.rot
        for t in range(steps):
            b = len(owner)
            x = emb[tok] + pos[t]  # (b, D)
            for n, ((g1, b1), (wq, bq), (wkv, bkv), (wo, bo), (g2, b2), (cwq, cbq), _, (cwo, cbo), (g3, b3),
                    (wu, bu), (wd, bd)) in enumerate(self.decoder):
                kt, v = cache_kt[n], cache_v[n]
                h = _layer_norm(x, g1, b1)
                kv = h @ wkv + bkv  # (b, 2D)
                k = kv[:, :D].reshape(b, H, K)
                q = ((h @ wq + bq) * scale).reshape(b, H, 1, K)
                if rot is not None:
                    k, q = _turn(k, rot[t]), _turn(q, rot[t])
                kt[:, :, :, t] = k
                v[:, :, t] = kv[:, D:].reshape(b, H, K)
                a = _softmax_(q @ kt[..., :t + 1]) @ v[:, :, :t + 1]  # (b, H, 1, L) @ (b, H, L, K)
                x = x + a.reshape(b, D) @ wo + bo
                q = ((_layer_norm(x, g2, b2) @ cwq + cbq) * scale).reshape(b, H, 1, K)
                s = q @ mem_kt[n]  # (b, H, 1, S)
                if bias is not None:
                    s += bias
                x = x + (_softmax_(s) @ mem_v[n]).reshape(b, D) @ cwo + cbo
                x = x + _gelu(_layer_norm(x, g3, b3) @ wu + bu) @ wd + bd
            logits = _layer_norm(x, gf, bf) @ head  # (b, V)
            logits[:, PAD] = logits[:, BOS] = -np.inf
            tok = logits.argmax(-1)
            top = np.take_along_axis(logits, tok[:, None], -1)
            chosen = 1.0 / np.exp(logits - top).sum(-1, dtype=np.float64)  # the argmax's softmax probability
            live = owner[~done]
            out[live, t] = tok[~done]
            confidence[live] = np.minimum(confidence[live], chosen[~done])
            done |= tok == EOS
            if done.all():
                break
            if done.sum() * 4 >= b:
                # Finished rows leave the working arrays once they are a quarter of them (each compaction
                # copies the caches); until then they decode on, and nothing reads what they decode.
                keep = np.flatnonzero(~done)
                owner, tok, done = owner[keep], tok[keep], done[keep]
                if bias is not None:
                    bias = bias[keep]
                mem_kt = [m[keep] for m in mem_kt]
                mem_v = [m[keep] for m in mem_v]
                cache_kt = [_kept(c, keep, t + 1, axis=3) for c in cache_kt]
                cache_v = [_kept(c, keep, t + 1, axis=2) for c in cache_v]
        else:  # sources cut at `steps` without their end: not answers the model is sure of
            confidence[owner[~done]] = 0.0
        return [(_strip(row), float(c)) for row, c in zip(out.tolist(), confidence)]


def storage_dtype(cfg: ModelConfig, weights: Mapping[str, Any], sources: Sequence[Sequence[int]],
                  threshold: float | None = None) -> str:
    """"float16" where the weights rounded to 16 bits give the same greedy answers to `sources`, and the same
    verdicts against the confidence `threshold`; else "float32".

    Rounding moves confidences by up to a few hundredths; an answer decided by a nearer tie changes.
    """
    full = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
    half = {k: v.astype(np.float16).astype(np.float32) for k, v in full.items()}

    def verdicts(w: dict[str, np.ndarray]) -> list[tuple[list[int], bool]]:
        return [(ids, threshold is not None and c >= threshold) for ids, c in NumpyDecoder(cfg, w).decode(sources)]

    return "float16" if verdicts(full) == verdicts(half) else "float32"


class TorchDecoder:
    """A `Seq2Seq` on a torch device: greedy decoding, sampling and prefix probabilities."""

    def __init__(self, cfg: ModelConfig, weights: Mapping[str, Any], src_vocab: int, tgt_vocab: int,
                 device: str = "cpu"):
        torch = require_torch("decoding in torch (another device, sampling, failure scores)")
        # The torch modules: replaying with numpy never imports them.
        from pytest_modelizer.model import Seq2Seq
        from pytest_modelizer.train import set_threads

        set_threads()
        self.cfg = cfg
        model = Seq2Seq(cfg, src_vocab, tgt_vocab)
        model.load_state_dict({k: torch.as_tensor(np.array(v, dtype=np.float32) if isinstance(v, np.ndarray) else v)
                               for k, v in weights.items()})
        self.model: Seq2Seq = model.to(device).eval()

    def decode(self, src: Sequence[Sequence[int]], max_len: int | None = None,
               batch_size: int = 64) -> list[Decoded]:
        return self.model.decode([list(s) for s in src], max_len=max_len, batch_size=batch_size)

    def sample(self, src: Sequence[Sequence[int]], temperature: float, seed: int,
               max_len: int | None = None) -> list[list[int]]:
        """Ids drawn token by token from softmax(logits / temperature), seeded by torch's generator."""
        import torch

        generator = torch.Generator().manual_seed(seed)
        return self.model.generate([list(s) for s in src], max_len=max_len, temperature=temperature,
                                   generator=generator)

    def prefix_probs(self, src: Sequence[Sequence[int]], prefix: list[int]) -> np.ndarray:
        """Next-token probabilities (N, 1 + len(prefix), V) after BOS and after each token of `prefix`."""
        return self.model.prefix_probs([list(s) for s in src], prefix).numpy()
