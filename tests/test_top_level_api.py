"""The top-level API: ``from changer import HeadBlendingPipeline, BlendOptions, CHANGER``."""

from __future__ import annotations

import subprocess
import sys

import pytest

import changer


def test_top_level_names_are_the_real_classes():
    from changer import CHANGER, BlendOptions, HeadBlendingPipeline
    from changer.model.changer import CHANGER as model_class
    from changer.pipeline import BlendOptions as options_class
    from changer.pipeline import HeadBlendingPipeline as pipeline_class

    assert HeadBlendingPipeline is pipeline_class
    assert BlendOptions is options_class
    assert CHANGER is model_class


def test_every_exported_name_resolves():
    for name in changer.__all__:
        assert getattr(changer, name) is not None, name
    assert set(changer.__all__) <= set(dir(changer))


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        changer.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        from changer import no_such_name  # noqa: F401


def test_submodules_still_import_from_the_top():
    from changer import chroma, labels

    assert callable(chroma.composite)
    assert labels.__name__ == "changer.labels"


def test_import_is_lazy():
    """``import changer`` alone loads neither torch nor the pipeline (a fresh interpreter)."""
    code = (
        "import sys, changer; "
        "print(changer.__version__); "
        "heavy = [m for m in ('torch', 'cv2', 'changer.pipeline') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == changer.__version__


def test_options_from_the_top_are_usable():
    from changer import BlendOptions

    opts = BlendOptions(edge_softness=0.0, color_reference="source")
    assert opts.edge_softness == 0.0 and opts.color_reference == "source"
