"""Data: the talking-heads reader, H² augmentation and the blend-sample construction."""

from changer.data.dataset import Frame, TalkingHeads, default_data_root
from changer.data.sample import SampleBuilder, SampleConfig

__all__ = ["Frame", "TalkingHeads", "default_data_root", "SampleBuilder", "SampleConfig"]
