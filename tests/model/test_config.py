"""ChangerConfig's upper bounds (issue 27): sizes no trained model has are refused before a build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from changer.model.config import BOUNDS, MAX_LEVELS, MAX_MEMBERS, ChangerConfig

WEIGHTS = Path(__file__).resolve().parents[2] / "changer" / "weights"


def test_every_bundled_and_shipped_config_is_within_the_bounds() -> None:
    configs = [*WEIGHTS.glob("*/config.json"), *(WEIGHTS.parents[1] / "configs").rglob("*.json")]
    for path in configs:
        data = json.loads(path.read_text())
        model = data.get("model", data)
        if isinstance(model, dict) and set(model) & set(BOUNDS):
            ChangerConfig.from_dict(model)


@pytest.mark.parametrize(("field", "value"), [
    ("channels", (16, 32, 64, 100000)), ("channels", (16,) * (MAX_LEVELS + 1)), ("dim", 4096),
    ("heads", 0), ("mlp_ratio", 100.0), ("blender_depth", 1000), ("train_size", 10**6),
    ("disc_channels", 10**5), ("dim", True), ("sa_pool", "2"),
])
def test_sizes_beyond_the_bounds_are_refused(field: str, value) -> None:
    with pytest.raises(ValueError, match=field):
        ChangerConfig(**{field: value})


def test_members_are_bounded_and_checked_too() -> None:
    with pytest.raises(ValueError, match="ensemble members"):
        ChangerConfig(members=({},) * (MAX_MEMBERS + 1))
    with pytest.raises(ValueError, match="dim must be between"):
        ChangerConfig(members=({"dim": 100000},))
    assert set(BOUNDS) <= set(ChangerConfig.__dataclass_fields__)
