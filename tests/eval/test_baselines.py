"""Non-learned baselines: one interface, the target untouched outside the hole."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from changer.inputs import DEFAULT_KEY_COLOR, BlendInputs
from eval.baselines import (
    BASELINES,
    Baseline,
    colourize_head,
    get_baseline,
    laplacian_blend,
    poisson_clone,
)

KEY = np.array(DEFAULT_KEY_COLOR, np.uint8)


def _ellipse(shape: tuple[int, int], centre: tuple[int, int], axes: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, -1)
    return mask.astype(bool)


def _shaded(shape: tuple[int, int], colour: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    """A colour with a vertical gradient and some noise, so nothing is perfectly flat."""
    ramp = np.linspace(0.8, 1.1, shape[0])[:, None, None]
    img = np.asarray(colour, np.float64) * ramp + rng.normal(0, 4, (*shape, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def make_inputs(
    h: int = 96, w: int = 112, head_centre: tuple[int, int] | None = None, seed: int = 0
) -> BlendInputs:
    """A synthetic self-reconstruction input: ellipse head, neck and body on the key colour."""
    rng = np.random.default_rng(seed)
    shape = (h, w)
    cx, cy = head_centre or (w // 2, h // 3)
    axes = (max(w // 6, 4), max(h // 5, 4))
    head = _ellipse(shape, (cx, cy), axes)
    neck = np.zeros(shape, bool)
    neck[cy + axes[1] - 2 : cy + axes[1] + h // 10, max(cx - w // 16, 0) : cx + w // 16] = True
    body = np.zeros(shape, bool)
    body[cy + axes[1] + h // 10 :, max(cx - w // 3, 0) : cx + w // 3] = True

    person = np.broadcast_to(KEY, (*shape, 3)).copy()
    person[body] = _shaded(shape, (60, 80, 160), rng)[body]
    person[neck] = _shaded(shape, (190, 140, 115), rng)[neck]
    colour_head = _shaded(shape, (205, 160, 130), rng)
    person[head] = colour_head[head]

    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    hole = cv2.dilate((head | neck).astype(np.uint8), kernel).astype(bool)
    target = person.copy()
    target[hole] = KEY
    gray = np.repeat(cv2.cvtColor(colour_head, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)

    ref_mask = _ellipse(shape, (w // 2 + 3, h // 2), axes)  # another pose of the same head
    return BlendInputs(
        target=target,
        hole=hole,
        head_gray=np.where(head[..., None], gray, 0).astype(np.uint8),
        head_mask=head,
        color_ref=np.where(ref_mask[..., None], _shaded(shape, (200, 150, 125), rng), 0).astype(np.uint8),
        color_ref_mask=ref_mask,
        body_ref=np.where((body & ~hole)[..., None], person, 0).astype(np.uint8),
        body_ref_mask=body & ~hole,
    )


def _detail(img: np.ndarray) -> np.ndarray:
    """Second derivatives of the luminance: the detail a blend must keep."""
    return cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32), cv2.CV_32F)


CASES = {
    "regular": lambda: make_inputs(),
    "odd-size": lambda: make_inputs(131, 97, seed=1),
    "head-at-top-left": lambda: make_inputs(80, 90, head_centre=(6, 4), seed=2),
    "head-at-bottom-right": lambda: make_inputs(70, 64, head_centre=(60, 66), seed=3),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", sorted(BASELINES))
def test_baseline_contract(name: str, case: str) -> None:
    inputs = CASES[case]()
    out = get_baseline(name)(inputs)
    assert out.shape == inputs.target.shape and out.dtype == np.uint8
    keep = ~inputs.hole
    np.testing.assert_array_equal(out[keep], inputs.target[keep])
    head = inputs.head_mask
    assert head.any() and (head & ~inputs.hole).sum() == 0
    # The head is produced: no longer the key colour, and the colourised head's detail is
    # there (Poisson keeps its gradients but shifts its colours towards the surroundings).
    assert np.mean(np.any(out[head] != KEY, axis=-1)) > 0.5
    inner = cv2.erode(head.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    detail_out, detail_head = _detail(out)[inner], _detail(colourize_head(inputs))[inner]
    assert np.abs(detail_out - detail_head).mean() < 0.35 * np.abs(detail_head).mean()
    if name != "poisson":
        assert np.abs(out[head].astype(int) - KEY).sum(-1).min() > 30


def test_registry() -> None:
    assert set(BASELINES) == {"paste", "poisson", "inpaint", "laplacian"}
    for name, baseline in BASELINES.items():
        assert isinstance(baseline, Baseline) and baseline.name == name
    with pytest.raises(KeyError, match="known"):
        get_baseline("nope")


def test_base_class_restores_target_outside_hole() -> None:
    class White(Baseline):
        name = "white"

        def blend(self, inputs: BlendInputs) -> np.ndarray:
            return np.full_like(inputs.target, 255)

    inputs = make_inputs()
    out = White()(inputs)
    np.testing.assert_array_equal(out[~inputs.hole], inputs.target[~inputs.hole])
    assert (out[inputs.hole] == 255).all()


def test_paste_leaves_rest_of_hole_in_key_colour() -> None:
    inputs = make_inputs()
    out = get_baseline("paste")(inputs)
    rest = inputs.hole & ~inputs.head_mask
    assert (out[rest] == KEY).all()


def test_inpaint_fills_the_hole_around_the_head() -> None:
    inputs = make_inputs()
    out = get_baseline("inpaint")(inputs)
    neck_area = inputs.hole & ~inputs.head_mask
    # The neck/body part of the hole takes colours from the visible body, not only the key.
    assert np.any(np.all(out[neck_area] != KEY, axis=-1))


def test_colourize_head_takes_reference_chroma_and_own_lightness() -> None:
    inputs = make_inputs()
    out = colourize_head(inputs)
    head = inputs.head_mask
    assert (out[~head] == 0).all()
    lab_out = cv2.cvtColor(out, cv2.COLOR_RGB2LAB).astype(float)
    lab_ref = cv2.cvtColor(inputs.color_ref, cv2.COLOR_RGB2LAB).astype(float)
    lab_gray = cv2.cvtColor(inputs.head_gray, cv2.COLOR_RGB2LAB).astype(float)
    ref_ab = lab_ref[inputs.color_ref_mask][:, 1:].mean(axis=0)
    np.testing.assert_allclose(lab_out[head][:, 1:].mean(axis=0), ref_ab, atol=2.0)
    assert np.abs(lab_out[head][:, 0] - lab_gray[head][:, 0]).mean() < 2.0
    # Ground truth is never read: the colour comes out close to the true skin anyway.
    assert ref_ab[0] > 128 and ref_ab[1] > 128  # warm, like the reference


def test_laplacian_blend_extremes_and_odd_sizes() -> None:
    rng = np.random.default_rng(9)
    fg = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    bg = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    ones, zeros = np.ones((37, 53), np.float32), np.zeros((37, 53), np.float32)
    np.testing.assert_array_equal(laplacian_blend(fg, bg, ones), fg)
    np.testing.assert_array_equal(laplacian_blend(fg, bg, zeros), bg)


def test_poisson_clone_at_the_border_does_not_shift() -> None:
    rng = np.random.default_rng(10)
    img = cv2.GaussianBlur(rng.integers(0, 256, (61, 75, 3), dtype=np.uint8), (0, 0), 2)
    mask = _ellipse((61, 75), (0, 0), (20, 15))  # touches the top-left corner
    # Cloning a picture onto itself is the identity: any shift of the clone would show.
    out = poisson_clone(img, img, mask)
    assert np.abs(out.astype(int) - img).max() <= 2
    np.testing.assert_array_equal(out[~mask], img[~mask])
