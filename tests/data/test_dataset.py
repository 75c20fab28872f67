"""The talking-heads reader, on a synthetic folder and (when present) on the real set."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from changer.data.dataset import TalkingHeads
from changer.labels import NUM_CLASSES


def test_reader_lists_splits_clips_and_frames(synthetic_data):
    data = TalkingHeads(synthetic_data)
    assert set(data.splits) == {"train", "test_hdtf"}
    assert len(data.clips("train")) == 2 and len(data.frames("test_hdtf")) == 6
    frame = data.frames("train")[0]
    img, lab = frame.load_image(), frame.load_labels()
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8 and lab.shape == (64, 64)
    assert frame.frame_id == f"{frame.clip_id}/{frame.index}"


def test_reader_rejects_unknown_split_and_missing_folder(synthetic_data, tmp_path):
    with pytest.raises(ValueError, match="unknown split"):
        TalkingHeads(synthetic_data).frames("nope")
    with pytest.raises(FileNotFoundError, match="not a talking-heads folder"):
        TalkingHeads(tmp_path)


def test_folder_without_manifest_is_one_split(synthetic_data, tmp_path):
    import shutil

    root = tmp_path / "my_bench"
    shutil.copytree(synthetic_data / "frames", root / "frames")
    shutil.copytree(synthetic_data / "parsing", root / "parsing")
    data = TalkingHeads(root)
    assert data.splits == ["my_bench"] and len(data.frames()) == 12


@pytest.mark.data
def test_real_set_has_the_documented_splits(shared_data):
    data = TalkingHeads(shared_data)
    assert {"train", "test_hdtf", "test_vox", "test_green"} <= set(data.splits)
    assert len(data.frames("test_hdtf")) == 60
    lab = data.frames("test_vox")[0].load_labels()
    assert lab.shape == (256, 256) and lab.max() < NUM_CLASSES
    train_ids = {c.identity for c in data.clips("train")}
    test_ids = {c.identity for c in data.clips(["test_hdtf", "test_vox", "test_green"])}
    assert not train_ids & test_ids, "splits must be identity-disjoint"


def test_write_subset_keeps_every_nth_frame_of_the_chosen_splits(synthetic_data, tmp_path):
    from changer.cli import main

    full = TalkingHeads(synthetic_data)
    out = tmp_path / "subset"
    assert main(["data", "subset", "--data", str(synthetic_data), "--splits", "train", "--every", "2",
                 "--out", str(out)]) == 0
    sub = TalkingHeads(out)
    assert sub.splits == ["train"]
    for clip, sub_clip in zip(full.clips("train"), sub.clips("train"), strict=True):
        assert [f.index for f in sub_clip.frames] == [f.index for f in clip.frames[::2]]
        assert np.array_equal(sub_clip.frames[0].load_labels(), clip.frames[0].load_labels())
    assert main(["data", "subset", "--data", str(synthetic_data), "--out", str(out)]) == 2  # not empty: a clear error
    with pytest.raises(ValueError, match="every"):
        full.write_subset(tmp_path / "other", ["train"], every=0)


def test_write_subset_holds_out_identities_as_a_validation_split(synthetic_data, tmp_path):
    from changer.cli import main

    full = TalkingHeads(synthetic_data)
    held = full.clips("train")[0].identity
    out = tmp_path / "with_val"
    assert main(["data", "subset", "--data", str(synthetic_data), "--splits", "train", "--every", "1",
                 "--holdout-ids", held, "--out", str(out)]) == 0
    sub = TalkingHeads(out)
    assert sorted(sub.splits) == ["train", "val"]
    assert {c.identity for c in sub.clips("val")} == {held}
    assert held not in {c.identity for c in sub.clips("train")}
    assert sum(len(c.frames) for c in sub.clips()) == sum(len(c.frames) for c in full.clips("train"))
    assert main(["data", "subset", "--data", str(synthetic_data), "--holdout-ids", "nobody",
                 "--out", str(tmp_path / "bad")]) == 2  # an unknown identity: a clear error


def _copy(synthetic_data, tmp_path):
    import shutil

    return Path(shutil.copytree(synthetic_data, tmp_path / "copy"))


def test_bad_manifests_are_value_errors_naming_the_file(synthetic_data, tmp_path):
    root = _copy(synthetic_data, tmp_path)
    manifest = root / "manifest.csv"
    manifest.write_text("clip_id,identity\na,b\n")
    with pytest.raises(ValueError, match=r"manifest.csv: missing column\(s\) split"):
        _ = TalkingHeads(root).splits
    manifest.write_bytes("clip_id,split\nclip\xe9,train\n".encode("latin-1"))
    with pytest.raises(ValueError, match="manifest.csv: not a UTF-8 CSV file"):
        _ = TalkingHeads(root).splits


def test_repeated_clips_and_frames_count_once(synthetic_data, tmp_path):
    root = _copy(synthetic_data, tmp_path)
    before = TalkingHeads(root).frames("train")
    manifest = root / "manifest.csv"
    lines = manifest.read_text().splitlines()
    manifest.write_text("\n".join([*lines, lines[1], "orphan,,"]) + "\n")  # a clip twice, a row without split
    first = before[0]
    Image.open(first.image_path).save(first.image_path.with_suffix(".png"))  # 0000.jpg and 0000.png
    after = TalkingHeads(root).frames("train")
    assert [f.frame_id for f in after] == [f.frame_id for f in before]


def test_unreadable_frames_and_mismatched_label_maps_name_the_files(synthetic_data, tmp_path):
    root = _copy(synthetic_data, tmp_path)
    first, second = TalkingHeads(root).frames("train")[:2]
    first.image_path.write_bytes(b"not a picture")
    with pytest.raises(ValueError, match=f"{first.image_path}: unreadable image"):
        first.load_image()
    Image.fromarray(second.load_labels()[:32, :32]).save(second.label_path)
    with pytest.raises(ValueError, match="64x64 px but its label map .* is 32x32"):
        second.load_pair()


def test_evaluation_refuses_a_frame_whose_label_map_has_no_head(synthetic_data, tmp_path):
    from changer import labels as L
    from changer.data.blend_dataset import BlendDataset
    from changer.data.sample import SampleConfig

    root = _copy(synthetic_data, tmp_path)
    frames = TalkingHeads(root).frames("test_hdtf")
    lab = frames[0].load_labels()
    Image.fromarray(np.where(L.head_mask(lab), L.BACKGROUND, lab).astype(np.uint8)).save(frames[0].label_path)
    ds = BlendDataset(frames, SampleConfig(), size=64, train=False)
    with pytest.raises(ValueError, match="has no head"):
        ds.sample(0)
    assert ds.sample(1).gt.shape == (64, 64, 3)
