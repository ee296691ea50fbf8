"""Transformer architectures for the benchmark zoo (tools/make_zoo.py), written with plain
torch.nn so the export needs nothing beyond Debian's python3-torch.

They follow the published layouts closely enough that the exported graphs have the patterns
real exports have (what the fusion passes must recognise):
  * BertLikeEncoder: BERT-base (post-LayerNorm, erf GELU, additive attention mask built from
    a 0/1 attention_mask input: (1 - mask) * -10000 broadcast over heads and queries).
  * Gpt2LikeDecoder: GPT-2 small (pre-LayerNorm, tanh GELU, causal mask sliced from a
    registered lower-triangular buffer and applied with Where, tied input/output embeddings),
    full-sequence forward (no KV cache).
  * vit_tiny: torchvision's VisionTransformer at ViT-Ti/16 size (192 wide, 12 layers, 3 heads).
Weights are random (make_zoo seeds them); `init_std` keeps the activations in a range where
numeric errors show (the default init of nn.Linear is far wider than trained transformers).
"""
import math

import torch
from torch import nn
from torch.nn import functional as F


def _init_weights(module, std):
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, std)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.normal_(m.bias, 0.0, std)
        if isinstance(m, nn.LayerNorm):
            nn.init.normal_(m.weight, 1.0, 0.1)
            nn.init.normal_(m.bias, 0.0, 0.1)


class SelfAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, hidden)

    def split(self, x):  # [B, T, H] -> [B, heads, T, head_dim]
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x, additive_mask=None, causal=None):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        if causal is not None:  # GPT-2: masked positions get the dtype's minimum, as HF does
            scores = torch.where(causal, scores, torch.tensor(torch.finfo(scores.dtype).min, dtype=scores.dtype))
        if additive_mask is not None:
            scores = scores + additive_mask
        probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        b, t = ctx.shape[0], ctx.shape[1]
        return self.out(ctx.view(b, t, self.heads * self.head_dim))


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.attn = SelfAttention(hidden, heads)
        self.ln1 = nn.LayerNorm(hidden, eps=1e-12)
        self.fc1 = nn.Linear(hidden, ffn)
        self.fc2 = nn.Linear(ffn, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x, mask):
        x = self.ln1(x + self.attn(x, additive_mask=mask))
        return self.ln2(x + self.fc2(F.gelu(self.fc1(x))))


class BertLikeEncoder(nn.Module):
    """input_ids [B, T] int64, attention_mask [B, T] int64 (1 keep, 0 pad) -> last hidden state [B, T, H]."""

    def __init__(self, vocab=30522, hidden=768, layers=12, heads=12, ffn=3072, max_positions=512, init_std=0.02):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(max_positions, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList([BertLayer(hidden, heads, ffn) for _ in range(layers)])
        _init_weights(self, init_std)

    def forward(self, input_ids, attention_mask):
        t = input_ids.shape[1]
        positions = torch.arange(t, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        x = self.word(input_ids) + self.position(positions) + self.token_type(torch.zeros_like(input_ids))
        x = self.ln(x)
        mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, mask)
        return x


class Gpt2Block(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(hidden, eps=1e-5)
        self.attn = SelfAttention(hidden, heads)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-5)
        self.fc = nn.Linear(hidden, 4 * hidden)
        self.proj = nn.Linear(4 * hidden, hidden)

    def forward(self, x, causal):
        x = x + self.attn(self.ln1(x), causal=causal)
        return x + self.proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Gpt2LikeDecoder(nn.Module):
    """input_ids [B, T] int64 -> logits [B, T, vocab]."""

    def __init__(self, vocab=50257, hidden=768, layers=12, heads=12, positions=1024, init_std=0.02):
        super().__init__()
        self.wte = nn.Embedding(vocab, hidden)
        self.wpe = nn.Embedding(positions, hidden)
        self.blocks = nn.ModuleList([Gpt2Block(hidden, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(hidden, eps=1e-5)
        self.register_buffer("causal", torch.tril(torch.ones(positions, positions, dtype=torch.bool))[None, None],
                             persistent=False)
        _init_weights(self, init_std)

    def forward(self, input_ids):
        t = input_ids.shape[1]
        positions = torch.arange(t, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(positions)
        causal = self.causal[:, :, :t, :t]
        for block in self.blocks:
            x = block(x, causal)
        return torch.matmul(self.ln_f(x), self.wte.weight.t())  # tied embeddings, as GPT-2


def vit_tiny(init_std=0.02):
    """ViT-Ti/16 (DeiT-tiny's shape): image [B, 3, 224, 224] -> logits [B, 1000]."""
    from torchvision.models.vision_transformer import VisionTransformer

    model = VisionTransformer(image_size=224, patch_size=16, num_layers=12, num_heads=3, hidden_dim=192,
                              mlp_dim=768, num_classes=1000)
    _init_weights(model, init_std)
    return model
