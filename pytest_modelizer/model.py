"""A small encoder-decoder Transformer (pre-LayerNorm) with KV-cached greedy decoding.

Shapes: B batch, S source length, T target length, D d_model, H heads, K head size, V vocab.
Token ids follow `tokenizer.Vocabulary`: PAD=0, BOS=1, EOS=2, UNK=3. The module holds only
tensors: rebuild it with `Seq2Seq(cfg, src_vocab, tgt_vocab)`, then `load_state_dict`.
This is the training stack's model; a mock replays the same weights in numpy (decoder.py).
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F

from pytest_modelizer.config import ModelConfig
from pytest_modelizer.tokenizer import BOS, EOS, PAD

KVCache = list  # per decoder layer: [k (B,H,L,K), v (B,H,L,K)] preallocated self-attention buffers


def _sinusoids(length: int, dim: int) -> torch.Tensor:
    """Fixed sinusoidal position table (length, dim)."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq[: dim // 2])
    return table


def _rotary_angles(length: int, head_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin (length, K/2) of rotary position angles: position times 10000^(-2i/K)."""
    freq = torch.exp(torch.arange(0, head_size, 2, dtype=torch.float32) * (-math.log(10000.0) / head_size))
    angle = torch.arange(length, dtype=torch.float32)[:, None] * freq  # (L, K/2)
    return torch.cos(angle), torch.sin(angle)


class Attention(nn.Module):
    """Multi-head attention with separate query and key/value projections (for cross/cached use).

    With `rotary`, queries and keys are turned by their positions (RoPE): a score then depends on
    how far apart two tokens are, the same at every position, so what a head learns about the
    token before this one holds at position 70 as at position 7.
    """

    def __init__(self, cfg: ModelConfig, rotary: bool = False):
        super().__init__()
        assert cfg.d_model % cfg.n_heads == 0, "d_model must be divisible by n_heads"
        self.h = cfg.n_heads
        self.q = nn.Linear(cfg.d_model, cfg.d_model)
        self.kv = nn.Linear(cfg.d_model, 2 * cfg.d_model)
        self.out = nn.Linear(cfg.d_model, cfg.d_model)
        self.dropout = cfg.dropout
        self.rotary = rotary
        if rotary:  # not persistent: rebuilt from cfg, never in the state dict
            cos, sin = _rotary_angles(cfg.max_len, cfg.d_model // cfg.n_heads)
            # Over the whole head, for one multiply-add with the halves swapped: (max_len, K) each.
            self.register_buffer("rot_cos", torch.cat([cos, cos], dim=-1), persistent=False)
            self.register_buffer("rot_sin", torch.cat([-sin, sin], dim=-1), persistent=False)

    def rotate(self, x: torch.Tensor, start: int = 0) -> torch.Tensor:
        """x (B, H, L, K) turned by positions start .. start + L - 1 (identity without rotary).

        Each pair (x[i], x[i + K/2]) turns by its angle: (x1 cos - x2 sin, x2 cos + x1 sin).
        """
        if not self.rotary:
            return x
        L = x.shape[2]
        swapped = x.roll(x.shape[3] // 2, dims=-1)  # (x2, x1)
        return torch.addcmul(x * self.rot_cos[start:start + L], swapped, self.rot_sin[start:start + L])

    def heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, D) -> (B, H, L, K)."""
        B, L, D = x.shape
        return x.view(B, L, self.h, D // self.h).transpose(1, 2)

    def keys_values(self, x: torch.Tensor, start: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys and values of `x` (B, L, D) at positions from `start`, each (B, H, L, K)."""
        k, v = self.kv(x).chunk(2, dim=-1)
        return self.rotate(self.heads(k), start), self.heads(v)

    def attend(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
               mask: torch.Tensor | None = None, causal: bool = False, start: int = 0) -> torch.Tensor:
        """Queries from `x` (B, T, D) at positions from `start` over k, v (B, H, L, K); mask (B, 1, 1|T, L) True = attend."""
        q = self.rotate(self.heads(self.q(x)), start)  # (B, H, T, K)
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, is_causal=causal)
        B, H, T, K = y.shape
        return self.out(y.transpose(1, 2).reshape(B, T, H * K))  # (B, T, D)


class FeedForward(nn.Module):
    """Position-wise MLP."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.up = nn.Linear(cfg.d_model, cfg.d_ff)
        self.down = nn.Linear(cfg.d_ff, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.down(F.gelu(self.up(x))))


class EncoderLayer(nn.Module):
    """Pre-LN self-attention + MLP."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.attn, self.ff = Attention(cfg, rotary=cfg.rotary), FeedForward(cfg)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        h = self.ln1(x)
        x = x + self.drop(self.attn.attend(h, *self.attn.keys_values(h), mask=mask))
        return x + self.ff(self.ln2(x))


class DecoderLayer(nn.Module):
    """Pre-LN causal self-attention + cross-attention + MLP."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.ln1, self.ln2, self.ln3 = (nn.LayerNorm(cfg.d_model) for _ in range(3))
        # Source and target positions are not one sequence: cross-attention is not rotated.
        self.self_attn, self.cross_attn, self.ff = Attention(cfg, rotary=cfg.rotary), Attention(cfg), FeedForward(cfg)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, mem_kv: tuple[torch.Tensor, torch.Tensor], src_mask: torch.Tensor | None,
                cache: KVCache | None = None, pos: int = 0) -> torch.Tensor:
        """x (B, T, D); with `cache`, x is the single step at position `pos` (B, 1, D)."""
        h = self.ln1(x)
        k, v = self.self_attn.keys_values(h, start=pos)  # (B, H, T, K)
        if cache is None:
            a = self.self_attn.attend(h, k, v, causal=True)
        else:
            cache[0][:, :, pos:pos + 1] = k
            cache[1][:, :, pos:pos + 1] = v
            a = self.self_attn.attend(h, cache[0][:, :, :pos + 1], cache[1][:, :, :pos + 1], start=pos)
        x = x + self.drop(a)
        x = x + self.drop(self.cross_attn.attend(self.ln2(x), *mem_kv, mask=src_mask))
        return x + self.ff(self.ln3(x))


class Seq2Seq(nn.Module):
    """Encoder-decoder Transformer mapping source ids to target ids."""

    def __init__(self, cfg: ModelConfig, src_vocab: int, tgt_vocab: int):
        super().__init__()
        self.cfg = cfg
        D = cfg.d_model
        self.tgt_emb = nn.Embedding(tgt_vocab, D, padding_idx=PAD)
        if cfg.shared_vocab:
            assert src_vocab == tgt_vocab, "shared_vocab needs one vocabulary for both sides"
            self.src_emb = self.tgt_emb
        else:
            self.src_emb = nn.Embedding(src_vocab, D, padding_idx=PAD)
        if cfg.learned_positions:
            self.src_pos = nn.Parameter(torch.zeros(cfg.max_len, D))
            self.tgt_pos = nn.Parameter(torch.zeros(cfg.max_len, D))
            nn.init.normal_(self.src_pos, std=0.02)
            nn.init.normal_(self.tgt_pos, std=0.02)
        else:  # not persistent: rebuilt from cfg, never in the state dict
            self.register_buffer("src_pos", _sinusoids(cfg.max_len, D), persistent=False)
            self.register_buffer("tgt_pos", self.src_pos, persistent=False)
        self.drop = nn.Dropout(cfg.dropout)
        self.encoder = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.enc_layers))
        self.decoder = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.dec_layers))
        self.enc_ln, self.dec_ln = nn.LayerNorm(D), nn.LayerNorm(D)
        self.head = nn.Linear(D, tgt_vocab, bias=False)
        self.apply(self._init)
        if cfg.tie_embeddings:
            self.head.weight = self.tgt_emb.weight

    @staticmethod
    def _init(m: nn.Module) -> None:
        """Small normal init for linear and embedding weights."""
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)
            with torch.no_grad():
                m.weight[PAD].zero_()

    def num_parameters(self) -> int:
        """Number of distinct trainable parameters (tied weights counted once)."""
        return sum(p.numel() for p in self.parameters())

    # -- training path -------------------------------------------------------------------
    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Memory (B, S, D) and source mask (B, 1, 1, S) of src (B, S); mask None where nothing is padded."""
        S = src.shape[1]
        assert S <= self.cfg.max_len, f"source length {S} > max_len {self.cfg.max_len}"
        keep = src != PAD
        # Decoding a batch without padding (torch's single-input path, the paper-style baseline) takes
        # SDPA's unmasked path, the faster one on the CPU; training keeps the mask: no host sync per
        # step on a GPU.
        mask = None if not self.training and bool(keep.all()) else keep[:, None, None, :]  # (B, 1, 1, S)
        x = self.drop(self.src_emb(src) + self.src_pos[:S])  # (B, S, D)
        for layer in self.encoder:
            x = layer(x, mask)
        return self.enc_ln(x), mask

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, V) for teacher-forced tgt_in (B, T) given src (B, S)."""
        memory, mask = self.encode(src)
        T = tgt_in.shape[1]
        assert T <= self.cfg.max_len, f"target length {T} > max_len {self.cfg.max_len}"
        # Padding sits after EOS at the end of tgt_in: the causal mask keeps it from real positions.
        x = self.drop(self.tgt_emb(tgt_in) + self.tgt_pos[:T])  # (B, T, D)
        for layer in self.decoder:
            x = layer(x, layer.cross_attn.keys_values(memory), mask)
        return self.head(self.dec_ln(x))

    # -- inference -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _evaluating(self) -> Iterator[None]:
        """Eval mode for the block; toggles only when training (a toggle walks every module, on every call)."""
        was_training = self.training
        if was_training:
            self.eval()
        try:
            yield
        finally:
            if was_training:
                self.train()

    def _device(self) -> torch.device:
        return self.tgt_emb.weight.device

    def _max_steps(self, max_len: int | None) -> int:
        return self.cfg.max_len if max_len is None else max(1, min(max_len, self.cfg.max_len))

    @torch.inference_mode()
    def generate(
        self,
        src: list[list[int]],
        max_len: int | None = None,
        batch_size: int = 64,
        temperature: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> list[list[int]]:
        """KV-cached decoding batched by sorted source length; ids without BOS/EOS.

        Greedy at temperature 0, else each token is sampled from softmax(logits / temperature).
        """
        return [ids for ids, _ in self.decode(src, max_len, batch_size, temperature, generator)]

    @torch.inference_mode()
    def decode(
        self,
        src: list[list[int]],
        max_len: int | None = None,
        batch_size: int = 64,
        temperature: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> list[tuple[list[int], float]]:
        """As `generate`, with each sequence's confidence: the lowest probability among its tokens.

        The probability of every emitted token, the end included, under the distribution it was
        chosen from: one doubtful token makes the whole answer doubtful, which is what decides
        whether the answer is exact.
        """
        steps = self._max_steps(max_len)
        order = sorted(range(len(src)), key=lambda i: len(src[i]))
        results: list[tuple[list[int], float]] = [([], 0.0) for _ in src]
        with self._evaluating():
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                outs = self._generate_batch([src[i] for i in idx], steps, temperature, generator)
                for i, out in zip(idx, outs):
                    results[i] = out
        return results

    def _generate_batch(
        self, src: list[list[int]], steps: int, temperature: float = 0.0, generator: torch.Generator | None = None
    ) -> list[tuple[list[int], float]]:
        """Decode one batch of sources for at most `steps` tokens; (ids, confidence) per source."""
        dev = self._device()
        B, S = len(src), max(len(s) for s in src)
        src_t = torch.full((B, S), PAD, dtype=torch.long)
        for i, s in enumerate(src):
            src_t[i, :len(s)] = torch.tensor(s, dtype=torch.long)
        memory, mask = self.encode(src_t.to(dev))
        mem_kv = [layer.cross_attn.keys_values(memory) for layer in self.decoder]  # once per layer
        H, D = self.cfg.n_heads, self.cfg.d_model
        caches = [[memory.new_empty(B, H, steps, D // H), memory.new_empty(B, H, steps, D // H)]
                  for _ in self.decoder]
        tok = torch.full((B, 1), BOS, dtype=torch.long, device=dev)
        out = torch.full((B, steps), PAD, dtype=torch.long, device=dev)
        finished = torch.zeros(B, dtype=torch.bool, device=dev)
        confidence = torch.ones(B, device=dev)
        n = steps
        every = 1 if dev.type == "cpu" else 4  # on an accelerator each check is a host sync
        for t in range(steps):
            x = self.tgt_emb(tok) + self.tgt_pos[t]  # (B, 1, D)
            for layer, kv, cache in zip(self.decoder, mem_kv, caches):
                x = layer(x, kv, mask, cache=cache, pos=t)
            logits = self.head(self.dec_ln(x[:, -1])).float()  # (B, V)
            logits[:, PAD] = logits[:, BOS] = float("-inf")  # never emitted
            nxt = logits.argmax(-1) if temperature <= 0 else _sample(logits, temperature, generator)  # (B,)
            chosen = torch.softmax(logits, -1).gather(1, nxt[:, None]).squeeze(1)  # (B,)
            confidence = torch.where(finished, confidence, torch.minimum(confidence, chosen))
            nxt = nxt.masked_fill(finished, PAD)
            out[:, t] = nxt
            finished |= nxt == EOS
            tok = nxt[:, None]
            if t % every == every - 1 and bool(finished.all()):
                n = t + 1
                break
        # A sequence cut at `steps` without its end is not an answer the model is sure of.
        confidence = confidence.masked_fill(~finished, 0.0)
        return list(zip(_strip(out[:, :n].tolist()), confidence.tolist()))

    @torch.inference_mode()
    def prefix_probs(self, src: list[list[int]], prefix: list[int], batch_size: int = 256) -> torch.Tensor:
        """Next-token probabilities (N, 1 + len(prefix), V) after BOS and after each token of a forced prefix.

        PAD and BOS get probability 0, as decoding never emits them.
        """
        dev = self._device()
        order = sorted(range(len(src)), key=lambda i: len(src[i]))
        out = torch.zeros(len(src), 1 + len(prefix), self.head.out_features)
        with self._evaluating():
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                S = max(len(src[i]) for i in idx)
                src_t = torch.full((len(idx), S), PAD, dtype=torch.long)
                for row, i in enumerate(idx):
                    src_t[row, :len(src[i])] = torch.tensor(src[i], dtype=torch.long)
                tgt_in = torch.tensor([[BOS, *prefix]] * len(idx), dtype=torch.long)
                logits = self(src_t.to(dev), tgt_in.to(dev)).float()  # (b, 1 + P, V)
                logits[..., PAD] = logits[..., BOS] = float("-inf")  # never emitted, as in decoding
                out[idx] = torch.softmax(logits, -1).cpu()
        return out


def _sample(logits: torch.Tensor, temperature: float, generator: torch.Generator | None) -> torch.Tensor:
    """Ids (B,) drawn from softmax(logits / temperature), never PAD or BOS."""
    logits = logits.float() / temperature
    logits[:, PAD] = logits[:, BOS] = float("-inf")
    probs = torch.softmax(logits, -1).cpu()
    return torch.multinomial(probs, 1, generator=generator).squeeze(1).to(logits.device)


def _strip(rows: list[list[int]]) -> list[list[int]]:
    """Cut each row at its first EOS (or PAD) and drop specials BOS/EOS/PAD."""
    out = []
    for row in rows:
        cut = []
        for i in row:
            if i == EOS or i == PAD:
                break
            if i != BOS:
                cut.append(i)
        out.append(cut)
    return out
