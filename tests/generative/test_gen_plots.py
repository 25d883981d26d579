"""The shared plotting helpers write real PNG files of the expected size and reject bad shapes."""

import numpy as np
import pytest

from kexue.generative.plots import save_image_grid, save_interpolations, save_scatter


def _png_size(path):
    import matplotlib.image

    return matplotlib.image.imread(path).shape


def test_grid_png_has_grid_aspect(tmp_path):
    save_image_grid(np.random.rand(20, 8, 8, 1), tmp_path / "g.png", ncols=10)
    h, w = _png_size(tmp_path / "g.png")[:2]
    assert w / h == pytest.approx(10 / 2, rel=0.1)


def test_interpolations_and_scatter(tmp_path):
    save_interpolations(np.random.rand(3, 7, 8, 8, 1), tmp_path / "i.png")
    h, w = _png_size(tmp_path / "i.png")[:2]
    assert w / h == pytest.approx(7 / 3, rel=0.1)
    save_scatter(np.random.randn(50, 2), tmp_path / "s.png", reference=np.random.randn(40, 2))
    assert (tmp_path / "s.png").stat().st_size > 1000


def test_bad_shapes_raise(tmp_path):
    with pytest.raises(ValueError, match="shape"):
        save_image_grid(np.zeros((4, 8)), tmp_path / "x.png")
    with pytest.raises(ValueError, match="n_rows, n_steps"):
        save_interpolations(np.zeros((4, 8, 8)), tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        save_scatter(np.zeros((4, 3)), tmp_path / "x.png")
