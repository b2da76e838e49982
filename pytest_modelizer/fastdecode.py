"""Greedy decoding of one input on the CPU with numpy: the path behind every unbatched mock call.

A decoder step for one sequence is about sixty operations on vectors of 128-512 floats. At that size
torch's dispatch per operation costs more than the arithmetic, and numpy's costs far less (the
latency table of BENCHMARKS.md times both: its *torch* and *mock* columns). The arrays are views
of the model's parameters, so in-place updates (an optimizer step, `load_state_dict`) show through;
`Seq2Seq` drops this object when its parameters are replaced.
The arithmetic is the model's (same GELU, same LayerNorm epsilon, unmasked attention: one input has no
padding), so it decodes what `Seq2Seq.generate` decodes up to float rounding (tests/test_fastdecode.py).

Shapes: S source length, L positions decoded so far, H heads, K head size, D = H * K, F d_ff, V vocab.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from pytest_modelizer.tokenizer import BOS, EOS, PAD

_LN_EPS = 1e-5  # nn.LayerNorm's default, which the model uses
_SQRT_HALF = math.sqrt(0.5)


def _view(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy()


def _linear(m: torch.nn.Linear) -> tuple[np.ndarray, np.ndarray]:
    """(w (in, out), b (out,)) so that y = x @ w + b, as m(x)."""
    return _view(m.weight).T, _view(m.bias)


def _norm(m: torch.nn.LayerNorm) -> tuple[np.ndarray, np.ndarray]:
    return _view(m.weight), _view(m.bias)


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    """LayerNorm over the last axis of x (..., D)."""
    n = x.shape[-1]
    if x.ndim == 1:  # a decoder step: scalar statistics are cheaper
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
    """Exact (erf) GELU, as F.gelu; erf by Abramowitz-Stegun 7.1.26 (error < 1.5e-7, float32's own)."""
    z = np.abs(x) * _SQRT_HALF
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * x * (1.0 + np.copysign(erf, x))


class NumpyGreedy:
    """Greedy decoding of a single source with a `Seq2Seq`'s weights (float32, CPU)."""

    def __init__(self, model: torch.nn.Module):
        cfg = model.cfg
        self.h, self.k = cfg.n_heads, cfg.d_model // cfg.n_heads
        self.scale = 1.0 / math.sqrt(self.k)
        self.src_emb, self.src_pos = _view(model.src_emb.weight), _view(model.src_pos)  # (V, D), (max_len, D)
        self.tgt_emb, self.tgt_pos = _view(model.tgt_emb.weight), _view(model.tgt_pos)
        self.head = _view(model.head.weight).T  # (D, V): the embedding when tied
        self.enc_ln, self.dec_ln = _norm(model.enc_ln), _norm(model.dec_ln)
        self.encoder = [
            (_norm(l.ln1), _linear(l.attn.q), _linear(l.attn.kv), _linear(l.attn.out), _norm(l.ln2),
             _linear(l.ff.up), _linear(l.ff.down))
            for l in model.encoder
        ]
        self.decoder = [
            (_norm(l.ln1), _linear(l.self_attn.q), _linear(l.self_attn.kv), _linear(l.self_attn.out),
             _norm(l.ln2), _linear(l.cross_attn.q), _linear(l.cross_attn.kv), _linear(l.cross_attn.out),
             _norm(l.ln3), _linear(l.ff.up), _linear(l.ff.down))
            for l in model.decoder
        ]

    def _heads(self, x: np.ndarray) -> np.ndarray:
        """(L, D) -> (H, L, K)."""
        return x.reshape(x.shape[0], self.h, self.k).transpose(1, 0, 2)

    def encode(self, src: list[int]) -> np.ndarray:
        """Memory (S, D) of one source, as Seq2Seq.encode."""
        D = self.h * self.k
        x = self.src_emb[src] + self.src_pos[:len(src)]  # (S, D)
        for (g1, b1), (wq, bq), (wkv, bkv), (wo, bo), (g2, b2), (wu, bu), (wd, bd) in self.encoder:
            h = _layer_norm(x, g1, b1)
            q = self._heads((h @ wq + bq) * self.scale)  # (H, S, K)
            kv = h @ wkv + bkv  # (S, 2D): keys then values, as Attention.keys_values splits them
            k, v = self._heads(kv[:, :D]), self._heads(kv[:, D:])
            a = _softmax_(q @ k.transpose(0, 2, 1)) @ v  # (H, S, S) @ (H, S, K) -> (H, S, K)
            x = x + a.transpose(1, 0, 2).reshape(len(src), D) @ wo + bo
            x = x + _gelu(_layer_norm(x, g2, b2) @ wu + bu) @ wd + bd
        return _layer_norm(x, *self.enc_ln)

    def decode(self, src: list[int], steps: int) -> tuple[list[int], float]:
        """Ids without BOS/EOS for `src` (ids), at most `steps` tokens, and the lowest token probability."""
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
        for t in range(steps):
            x = emb[tok] + pos[t]  # (D,)
            for ((g1, b1), (wq, bq), (wkv, bkv), (wo, bo), (g2, b2), (cwq, cbq), _, (cwo, cbo), (g3, b3), (wu, bu),
                 (wd, bd), mem_kt, mem_v, kt, v) in layers:
                h = _layer_norm(x, g1, b1)
                kv = h @ wkv + bkv  # (2D,)
                kt[:, :, t] = kv[:D].reshape(H, K)
                v[:, t] = kv[D:].reshape(H, K)
                q = ((h @ wq + bq) * scale).reshape(H, 1, K)
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
