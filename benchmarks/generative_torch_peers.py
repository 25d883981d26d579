"""Hand-written PyTorch training loops with the same architectures as kexue's VAE and Glow,
the peers of ``benchmarks/generative.py``. Plain ``torch.nn`` and ``torch.optim.Adam``, eager.

The loops use the ordinary CPU speed-ups a careful PyTorch user would reach for (each measured
on this benchmark): Glow's images are kept ``channels_last`` (oneDNN's convolutions skip a
layout reorder), its 1x1 convolution is a channel matmul (``einsum``) rather than ``conv2d``, and
Adam runs with ``foreach=True`` (one multi-tensor update instead of a Python loop over ~100
small parameters). :func:`parameter_count` lets the benchmark check that both contenders train
the same number of parameters."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class TorchVAE(nn.Module):
    def __init__(self, dims=64, latent=8, hidden=256):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dims, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                     nn.ReLU(), nn.Linear(hidden, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(),
                                     nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, dims))

    def loss(self, x):
        x = x.flatten(1)
        mean, log_var = self.encoder(x).chunk(2, dim=-1)
        log_var = log_var.clamp(-12.0, 8.0)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        recon = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="none").sum(-1)
        kl = 0.5 * (mean.square() + log_var.exp() - 1.0 - log_var).sum(-1)
        return (recon + kl).mean()


def squeeze(x):
    b, c, h, w = x.shape
    x = x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(b, c * 4, h // 2, w // 2)


class ActNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.loc = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.log_scale = nn.Parameter(torch.zeros(1, c, 1, 1))

    def initialize(self, x):
        with torch.no_grad():
            self.loc.copy_(-x.mean((0, 2, 3), keepdim=True))
            self.log_scale.copy_(-torch.log(x.std((0, 2, 3), keepdim=True) + 1e-6))

    def forward(self, x):
        return (x + self.loc) * self.log_scale.exp(), x.shape[2] * x.shape[3] * self.log_scale.sum()


class InvConvLU(nn.Module):
    def __init__(self, c, rng):
        super().__init__()
        import scipy.linalg

        w = np.linalg.qr(rng.standard_normal((c, c)))[0]
        p, lower, upper = scipy.linalg.lu(w)
        s = np.diag(upper)
        t = lambda a: torch.tensor(a, dtype=torch.float32)
        self.register_buffer("p", t(p))
        self.register_buffer("sign", t(np.sign(s)))
        self.register_buffer("mask", t(np.tril(np.ones((c, c)), -1)))
        self.lower, self.upper = nn.Parameter(t(lower)), nn.Parameter(t(np.triu(upper, 1)))
        self.log_s = nn.Parameter(t(np.log(np.abs(s))))

    def forward(self, x):
        eye = torch.eye(self.mask.shape[0])
        w = self.p @ (self.lower * self.mask + eye) @ (
            self.upper * self.mask.T + torch.diag(self.sign * self.log_s.exp()))
        return torch.einsum("oc,bchw->bohw", w, x), x.shape[2] * x.shape[3] * self.log_s.sum()


class AffineCoupling(nn.Module):
    def __init__(self, c, hidden):
        super().__init__()
        self.keep = c // 2
        last = nn.Conv2d(hidden, 2 * (c - self.keep), 3, padding=1)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.net = nn.Sequential(nn.Conv2d(self.keep, hidden, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(hidden, hidden, 1), nn.ReLU(), last)

    def forward(self, x):
        a, b = x[:, : self.keep], x[:, self.keep :]
        raw, shift = self.net(a).chunk(2, dim=1)
        log_scale = F.logsigmoid(raw + 2.0)
        return torch.cat([a, (b + shift) * log_scale.exp()], 1), log_scale.flatten(1).sum(-1)


class SplitPrior(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.keep = c // 2
        self.prior = nn.Conv2d(self.keep, 2 * (c - self.keep), 3, padding=1)
        nn.init.zeros_(self.prior.weight)
        nn.init.zeros_(self.prior.bias)

    def forward(self, x):
        z1, z2 = x[:, : self.keep], x[:, self.keep :]
        mean, log_std = self.prior(z1).chunk(2, dim=1)
        return z1, (z2 - mean) * torch.exp(-log_std), -log_std.flatten(1).sum(-1)


class TorchGlow(nn.Module):
    """levels x (squeeze, steps x (actnorm, 1x1 conv, affine coupling), split) as in kexue."""

    def __init__(self, channels=1, levels=2, steps=4, hidden=64, n_bins=17, seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.n_bins, self.levels = n_bins, levels
        self.blocks, self.splits = nn.ModuleList(), nn.ModuleList()
        c = channels
        for level in range(levels):
            c *= 4
            self.blocks.append(nn.ModuleList([
                nn.ModuleList([ActNorm(c), InvConvLU(c, rng), AffineCoupling(c, hidden)])
                for _ in range(steps)]))
            if level < levels - 1:
                self.splits.append(SplitPrior(c))
                c = c // 2  # the split keeps the first half of the channels

    def preprocess(self, x):
        return (x * (self.n_bins - 1) + torch.rand_like(x)) / self.n_bins - 0.5

    def encode(self, x, init=False):
        latents, logdet = [], torch.zeros(x.shape[0])
        for level, block in enumerate(self.blocks):
            x = squeeze(x)
            for actnorm, invconv, coupling in block:
                if init:
                    actnorm.initialize(x)
                for layer in (actnorm, invconv, coupling):
                    x, ld = layer(x)
                    logdet = logdet + ld
            if level < self.levels - 1:
                x, eps, ld = self.splits[level](x)
                latents.append(eps)
                logdet = logdet + ld
        return latents + [x], logdet

    def loss(self, x, init=False):
        dims = x[0].numel()
        latents, logdet = self.encode(self.preprocess(x), init)
        log_pz = sum(-0.5 * (z.square() + math.log(2 * math.pi)).flatten(1).sum(-1)
                     for z in latents)
        nll = -(log_pz + logdet) / dims
        return ((nll + math.log(self.n_bins)) / math.log(2.0)).mean()


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def train_throughput(model_name: str, x: np.ndarray, batch_size: int, epochs: int,
                     seed: int = 0) -> dict:
    """Images per wall-clock second and per CPU second of a plain PyTorch loop (first epoch
    excluded as warm-up)."""
    import time

    torch.manual_seed(seed)
    if model_name == "vae":
        model, data = TorchVAE(), torch.tensor(x.reshape(len(x), -1))
    else:
        model, data = TorchGlow(), torch.tensor(np.transpose(x, (0, 3, 1, 2)).copy())
        with torch.no_grad():
            model.loss(data[:512], init=True)
        model = model.to(memory_format=torch.channels_last)
        data = data.contiguous(memory_format=torch.channels_last)
    assert data.dtype == torch.float32
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
    n = len(data) // batch_size * batch_size
    wall, cpu, last = [], [], None
    for _ in range(epochs):
        start, start_cpu = time.perf_counter(), time.process_time()
        order = torch.randperm(len(data))
        for i in range(0, n, batch_size):
            loss = model.loss(data[order[i : i + batch_size]])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            last = loss.item()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    images = n * (epochs - 1)
    return {"images_per_s": images / sum(wall[1:]), "images_per_cpu_s": images / sum(cpu[1:]),
            "final_loss": last, "parameters": parameter_count(model)}
