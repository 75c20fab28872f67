"""The real-pixel blend (BlendOptions.head='real'): the source head's own pixels on top, the
target kept outside the hole, landmark alignment, the enlargement rule, old long hair gone."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import changer.pipeline as pipeline_module
from changer import faces as F
from changer import head_layer
from changer import labels as L
from changer.align import landmark_matrix, matrix_scale
from changer.blenders import BaselineBlender
from changer.data.synthetic import synthetic_person
from changer.imageio import InputError
from changer.inputs import DEFAULT_KEY_COLOR
from changer.pipeline import BlendOptions, HeadBlendingPipeline
from eval import cross_identity as X

PORTRAITS = Path(__file__).resolve().parents[1] / "examples" / "portraits"


def portrait(name: str) -> np.ndarray:
    return np.asarray(Image.open(PORTRAITS / name).convert("RGB"))


@pytest.fixture(scope="module")
def pipe() -> HeadBlendingPipeline:
    return HeadBlendingPipeline(BaselineBlender("paste", resolution=128))


def test_landmark_alignment_recovers_a_known_similarity() -> None:
    img = portrait("art_5.jpg")
    h, w = img.shape[:2]
    known = cv2.getRotationMatrix2D((w / 2, h / 2), 12, 0.75)
    known[:, 2] += (20, -15)
    moved = cv2.warpAffine(img, known, (w, h), borderMode=cv2.BORDER_REPLICATE)
    a, b = F.find_face(img), F.find_face(moved)
    assert a is not None and b is not None
    found = landmark_matrix(a.landmarks, b.landmarks)
    assert matrix_scale(found) == pytest.approx(0.75, rel=0.03)
    angle = np.degrees(np.arctan2(found[1, 0], found[0, 0]))
    assert angle == pytest.approx(-12, abs=2)  # OpenCV's positive angle turns counter-clockwise on screen
    centre = np.array([w / 2, h / 2, 1.0])
    assert np.linalg.norm(found @ centre - known @ centre) < 6
    # the manual scale pivots about the chin: the chin stays where it lands
    chin = np.append(a.landmarks[8], 1)
    bigger = landmark_matrix(a.landmarks, b.landmarks, scale=1.3)
    assert np.linalg.norm(bigger @ chin - found @ chin) < 1e-6
    assert matrix_scale(bigger) == pytest.approx(1.3 * matrix_scale(found))


def test_the_real_head_keeps_its_eye_and_lip_colours_with_the_source_as_reference() -> None:
    pipe = HeadBlendingPipeline(BaselineBlender("paste", resolution=256))
    source, target = portrait("art_14.jpg"), portrait("art_5.jpg")
    faces = X.pair_faces(source, target)
    keep = pipe(source, target, options=BlendOptions(color_reference="source"))
    scores = X.score_blend(source, target, keep, faces, "source")
    assert scores["eye_ab"] < 4 and scores["lip_ab"] < 4 and scores["id_src"] < 0.3
    network = pipe(source, target, options=BlendOptions(color_reference="source", head="network"))
    drawn = X.score_blend(source, target, network, faces, "source")
    assert scores["sharp"] > drawn["sharp"]  # the photo's own pixels, not a 256 px redraw
    moved = pipe(source, target)  # toward the target's skin: the skin moves, the lips far less
    toward = X.score_blend(source, target, moved, faces)
    assert toward["skin_de"] < X.score_blend(source, target, keep, faces)["skin_de"]
    changed = np.abs(moved.image.astype(int) - target.astype(int)).max(axis=2) > 0
    assert not changed[~moved.masks["hole"]].any()  # the target's pixels outside the hole, bit-exact


def test_match_skin_moves_skin_and_leaves_grey_and_far_colours() -> None:
    skin = np.array([[[200, 150, 120]]], np.uint8)
    img = np.concatenate([np.tile(skin, (4, 4, 1)), np.full((4, 4, 3), 128, np.uint8),
                          np.tile(np.array([[[40, 80, 200]]], np.uint8), (4, 4, 1))], axis=1)
    src = head_layer.skin_colour(img, np.pad(np.ones((4, 4), bool), ((0, 0), (0, 8))))
    assert src is not None
    tgt = src + np.array([-20.0, 8.0, 10.0])
    out = head_layer.match_skin(img, np.ones(img.shape[:2], bool), src, tgt)
    lab = lambda a: cv2.cvtColor(a.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)[0, 0]
    assert np.allclose(lab(out[:, :4]), tgt, atol=1.5)  # the skin lands on the target's colour
    assert abs(lab(out[:, 4:8])[1]) < 1 and abs(lab(out[:, 4:8])[2]) < 1  # gray takes no tint
    gain = tgt[0] / src[0]  # the light on the whole head: everything dims alike
    assert lab(out[:, 4:8])[0] == pytest.approx(gain * lab(img[:, 4:8])[0], abs=1)
    assert np.allclose(lab(out[:, 8:])[1:], lab(img[:, 8:])[1:], atol=3)  # a blue eye keeps its colour


def test_a_tiny_source_face_is_refused_with_its_size_unless_forced() -> None:
    pipe = HeadBlendingPipeline(BaselineBlender("paste", resolution=128))
    target = portrait("art_5.jpg")
    tiny = cv2.resize(portrait("art_14.jpg"), (84, 84), interpolation=cv2.INTER_AREA)
    with pytest.raises(InputError, match=r"source face is small \(\d+ px wide\): it would be enlarged \d+\.\dx"):
        pipe(tiny, target)
    result = pipe(tiny, target, options=BlendOptions(force_enlargement=True))
    assert result.image.shape == target.shape


class _HairFill:
    """A blender that draws hair all over the hole (the worst a network could do)."""

    name, resolution, key_color = "hair-fill", 128, None

    def __call__(self, inputs):
        out = inputs.target.copy()
        out[inputs.hole] = (60, 40, 30)
        out[inputs.head_mask] = inputs.head_rgb[inputs.head_mask]
        return out


def test_old_long_hair_above_the_body_becomes_background(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_module, "find_parser", lambda: None)
    key = DEFAULT_KEY_COLOR
    tgt, tgt_lab = synthetic_person(200, np.random.default_rng(5), long_hair=True, background=key)
    src, src_lab = synthetic_person(160, np.random.default_rng(1))
    result = HeadBlendingPipeline(_HairFill())(src, tgt, source_labels=src_lab, target_labels=tgt_lab)
    body = L.neck_body_mask(tgt_lab)
    top = np.where(body.any(axis=0), body.argmax(axis=0), body.shape[0])
    above = np.arange(200)[:, None] < top[None, :] - 3
    far = cv2.distanceTransform((~result.masks["source_head"]).astype(np.uint8), cv2.DIST_L2, 3) > 8
    chin = np.nonzero(result.masks["source_head"])[0].max()  # below it the source's own neck top comes along
    old_hair = (tgt_lab == L.HAIR) & far & above & (np.arange(200)[:, None] < chin)
    assert old_hair.sum() > 100
    distance = np.abs(result.image[old_hair].astype(int) - np.array(key)).max(axis=1)
    assert (distance <= 8).mean() > 0.98  # key colour: no hair pixel left
    network = HeadBlendingPipeline(_HairFill())(src, tgt, source_labels=src_lab, target_labels=tgt_lab,
                                                options=BlendOptions(head="network"))
    assert (np.abs(network.image[old_hair].astype(int) - np.array(key)).max(axis=1) > 8).mean() > 0.5


def test_the_head_layer_keeps_only_the_head_joined_to_the_main_face() -> None:
    labels = np.zeros((100, 100), np.uint8)
    labels[30:70, 30:70] = L.FACE
    labels[20:30, 25:75] = L.HAIR
    labels[5:12, 85:95] = L.FACE  # a skin-coloured patch of the backdrop, called face
    out = head_layer.own_head(labels)
    assert (out[5:12, 85:95] == L.BACKGROUND).all()
    assert (out[30:70, 30:70] == L.FACE).all() and (out[20:30, 25:75] == L.HAIR).all()
