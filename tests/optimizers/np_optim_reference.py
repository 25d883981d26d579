"""A plain NumPy (float64) re-implementation of the optimizers and extensions, written from
the papers' update rules, used as the reference in the optimizer tests."""

from __future__ import annotations

import re

import numpy as np


def piecewise(step, schedule):
    pts = sorted(schedule.items())
    if pts[0][0] != 0:
        pts = [(0, 0.0)] + pts
    if step >= pts[-1][0]:
        return pts[-1][1]
    return float(np.interp(step, [p[0] for p in pts], [p[1] for p in pts]))


def _first(path, table, default):
    for pattern, value in table.items():
        if re.search(pattern, path):
            return value
    return default


class Reference:
    """``kind`` is "adam" or "sgd" (heavy-ball momentum, Keras' form)."""

    def __init__(
        self,
        params,
        kind="adam",
        lr=1e-2,
        beta_1=0.9,
        beta_2=0.999,
        eps=1e-7,
        momentum=0.9,
        weight_decay=None,
        no_decay=(),
        mult=None,
        transforms=None,
        lazy=(),
        adapt=False,
        lookahead=None,
        alpha=0.5,
        accum=None,
    ):
        self.p = {k: np.array(v, np.float64) for k, v in params.items()}
        self.m = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.slow = {k: v.copy() for k, v in self.p.items()}
        self.acc = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.kind, self.lr, self.b1, self.b2, self.eps = kind, lr, beta_1, beta_2, eps
        self.momentum, self.wd, self.no_decay = momentum, weight_decay, no_decay
        self.mult, self.transforms = mult or {}, transforms or {}
        self.lazy, self.adapt, self.k, self.alpha, self.accum = lazy, adapt, lookahead, alpha, accum
        self.micro = 0
        self.updates = 0

    def lr_at(self, u):
        return self.lr(u) if callable(self.lr) else self.lr

    def step(self, grads):
        grads = {k: np.array(g, np.float64) for k, g in grads.items()}
        self.micro += 1
        if self.accum:
            for k in grads:
                self.acc[k] += grads[k]
            if self.micro % self.accum:
                return
            grads = {k: self.acc[k] / self.accum for k in grads}
            self.acc = {k: np.zeros_like(v) for k, v in self.acc.items()}
        lr = self.lr_at(self.updates)
        t = self.updates + 1
        for name, g in grads.items():
            fn = _first(name, self.transforms, None)
            if fn is not None:
                g = fn(g)
            m_lr = lr * _first(name, self.mult, 1.0)
            old = (self.p[name].copy(), self.m[name].copy(), self.v[name].copy())
            if self.wd and not any(re.search(p, name.split("/")[-1]) for p in self.no_decay):
                self.p[name] = self.p[name] - self.p[name] * self.wd * m_lr
            if self.kind == "adam":
                self.m[name] = self.b1 * self.m[name] + (1 - self.b1) * g
                self.v[name] = self.b2 * self.v[name] + (1 - self.b2) * g * g
                a = m_lr * np.sqrt(1 - self.b2**t) / (1 - self.b1**t)
                self.p[name] = self.p[name] - a * self.m[name] / (np.sqrt(self.v[name]) + self.eps)
            else:
                self.m[name] = self.momentum * self.m[name] - m_lr * g
                self.p[name] = self.p[name] + self.m[name]
            if self.adapt:
                delta = self.p[name] - old[0]
                w_norm = np.linalg.norm(old[0])
                u_norm = np.linalg.norm(delta) / max(m_lr, 1e-7)
                ratio = w_norm / u_norm if (w_norm > 0 and u_norm > 1e-7) else 1.0
                self.p[name] = old[0] + delta * ratio
            if any(re.search(p, name) for p in self.lazy):
                keep = ~np.any(g != 0, axis=-1, keepdims=True)
                for store, before in zip((self.p, self.m, self.v), old):
                    store[name] = np.where(keep, before, store[name])
        self.updates += 1
        if self.k and self.updates % self.k == 0:
            for name in self.p:
                self.slow[name] = self.slow[name] + self.alpha * (self.p[name] - self.slow[name])
                self.p[name] = self.slow[name].copy()
