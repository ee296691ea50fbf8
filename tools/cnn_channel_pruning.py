"""Channel (structured) pruning of the Fashion-MNIST CNN in PyTorch, by the rule of
`fastserve prune --method channel` (src/prune/channel_pruning.cc), for compress_fashion_mnist.py.

- Layers: the ones the engine prunes on this CNN: conv1 and conv2 (their filters) and fc1 (its
  output features); fc2's outputs are the logits (a graph output), which the engine keeps.
- Per layer, remove = min(channels - 1, floor(sparsity * channels)) channels, the same fraction
  of each layer (the engine's `--sparsity` for channel pruning).
- Ranking: the L1 norm of the channel's filter (row of W for fc1) scaled by
  |gamma| / sqrt(running_var + eps) of the BatchNorm after it, i.e. the norm of the filter as the
  BN-folded model runs it; a stable sort, largest first, keeps the first channels - remove.
- A masked channel contributes exactly nothing downstream: its output is multiplied by 0 after
  the BN (a forward hook, so it gets no gradient either), and its filter, bias and BN gamma/beta
  are set to 0 after every step. On export (BN folded) its folded filter and bias are exactly 0,
  so relu(0) = 0 feeds the next layer, and `fastserve prune --method channel` at the same
  sparsity removes exactly the zeroed channels (norm 0, the smallest): physically_prune checks
  the kept counts against the masks and the pruned file's logits against the masked file's.
- Masks only grow: the zeroing happens before each re-ranking, so channels masked earlier have
  norm 0 and stay among the smallest (as pruned weights do in Zhu & Gupta's scheme).
"""
import math
import os

import numpy as np
import torch

# (prunable layer, the BatchNorm after it or None): the engine's prunable layers on this CNN.
LAYERS = (("conv1", "bn1"), ("conv2", "bn2"), ("fc1", None))


def channels_removed(channels, sparsity):
    """The engine's count: floor(s * channels), at least one channel kept."""
    return min(channels - 1, int(math.floor(sparsity * channels)))


@torch.no_grad()
def channel_norms(model, layer, bn_name):
    """L1 norm of each output channel's weights, times |gamma| / sqrt(var + eps) of the BN (float64,
    as the engine computes it on the BN-folded file)."""
    w = getattr(model, layer).weight.detach().double()
    norms = w.abs().flatten(1).sum(1)
    bn = getattr(model, bn_name) if bn_name else None
    if isinstance(bn, torch.nn.BatchNorm2d):
        norms = norms * bn.weight.detach().double().abs() / torch.sqrt(bn.running_var.double() + bn.eps)
    return norms


class ChannelMasks:
    """0/1 channel masks of LAYERS on one CNN, kept applied: forward hooks zero the masked outputs
    (after the BN) and apply() zeroes the masked parameters. Also the fixed-mask after_step hook
    of fashion_cnn.train (fine-tuning with the mask fixed)."""

    def __init__(self, model):
        self.model = model
        self.masks = {layer: torch.ones(getattr(model, layer).weight.shape[0]) for layer, _ in LAYERS}
        self.hooks = []
        for layer, bn_name in LAYERS:
            bn = getattr(model, bn_name) if bn_name else None
            at = bn if isinstance(bn, torch.nn.BatchNorm2d) else getattr(model, layer)
            self.hooks.append(at.register_forward_hook(self._hook(layer)))

    def _hook(self, layer):
        def mask_output(_module, _inputs, out):
            m = self.masks[layer]
            return out * (m.view(1, -1, 1, 1) if out.dim() == 4 else m.view(1, -1))
        return mask_output

    @torch.no_grad()
    def apply(self):
        for layer, bn_name in LAYERS:
            dead = self.masks[layer] == 0
            mod = getattr(self.model, layer)
            mod.weight[dead] = 0.0
            mod.bias[dead] = 0.0
            bn = getattr(self.model, bn_name) if bn_name else None
            if isinstance(bn, torch.nn.BatchNorm2d):
                bn.weight[dead] = 0.0
                bn.bias[dead] = 0.0

    @torch.no_grad()
    def rank(self, sparsity):
        """Masks the channels_removed(c, sparsity) channels of smallest BN-scaled L1 norm per layer."""
        self.apply()  # channels masked before have norm 0: they stay masked
        for layer, bn_name in LAYERS:
            norms = channel_norms(self.model, layer, bn_name)
            c = norms.numel()
            order = torch.sort(norms, descending=True, stable=True).indices
            m = torch.ones(c)
            m[order[c - channels_removed(c, sparsity):]] = 0.0
            self.masks[layer] = m
        self.apply()
        return self

    def __call__(self, step, total):
        self.apply()

    def kept(self):
        """[(kept, channels)] per layer of LAYERS."""
        return [(int(self.masks[layer].sum()), self.masks[layer].numel()) for layer, _ in LAYERS]

    def kept_text(self):
        return ", ".join(f"{k}/{c}" for k, c in self.kept())

    @torch.no_grad()
    def folded(self):
        """The BN-folded copy to export, the masked channels' filters and biases exactly 0 (the
        fold multiplies the filter by gamma / sqrt(var + eps) = 0 but leaves beta - mean * 0)."""
        import fashion_cnn as fc

        plain = fc.fold_bn(self.model)
        for layer, _ in LAYERS:
            dead = self.masks[layer] == 0
            mod = getattr(plain, layer)
            mod.weight[dead] = 0.0
            mod.bias[dead] = 0.0
        return plain


class GradualChannelPruner:
    """after_step hook: the fraction of masked channels per layer follows Zhu & Gupta's polynomial
    schedule (schedule(step, end_step, s_final)) up to `end` of the steps, re-ranked every `every`
    steps; afterwards the final mask stays fixed (fine-tuning)."""

    def __init__(self, masks, s_final, schedule, end=0.67, every=50):
        self.masks, self.s_final, self.schedule, self.end, self.every = masks, s_final, schedule, end, every

    def __call__(self, step, total):
        end_step = max(int(self.end * total), 1)
        if step <= end_step and (step % self.every == 0 or step == end_step):
            self.masks.rank(self.schedule(step, end_step, self.s_final))
        else:
            self.masks.apply()

    def finish(self):
        """The final sparsity even when training stopped early (--smoke)."""
        self.masks.rank(self.s_final)


def physically_prune(fs, masked_path, out_path, sparsity, masks, data):
    """`fastserve prune --method channel --sparsity S` on the masked file, checked: per layer the
    engine keeps as many channels as the mask, and the pruned file's ORT logits on the test set
    equal the masked file's (so the removed channels were the zeroed ones). Returns the engine's
    JSON report with "max_logit_diff" added; raises ValueError on a mismatch."""
    import fashion_cnn as fc

    rep = fs.run(["prune", "--model", masked_path, "--output", out_path, "--method", "channel",
                  "--sparsity", repr(sparsity), "--json"])
    got = [(layer["channels_after"], layer["channels_before"]) for layer in rep["layers"]]
    if got != masks.kept():
        raise ValueError(f"{out_path}: fastserve kept {got} channels, the masks {masks.kept()}")
    _, masked_logits = fc.ort_accuracy(masked_path, data)
    _, pruned_logits = fc.ort_accuracy(out_path, data)
    diff = float(np.abs(masked_logits - pruned_logits).max())
    scale = float(np.abs(masked_logits).max())
    if diff > 1e-4 * scale:
        raise ValueError(f"{out_path}: logits differ from {os.path.basename(masked_path)}'s by {diff:.3g} "
                         f"(max |logit| {scale:.3g}): fastserve removed other channels than the masked ones")
    rep["max_logit_diff"] = diff
    return rep
