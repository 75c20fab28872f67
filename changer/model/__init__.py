"""The CHANGER network, its learned baseline and discriminator (one network per file)."""

from changer.model.changer import CHANGER
from changer.model.config import VARIANTS, ChangerConfig
from changer.model.discriminator import MultiScaleDiscriminator
from changer.model.ensemble import combine, split
from changer.model.fpat import type_attention_mask

__all__ = ["CHANGER", "VARIANTS", "ChangerConfig", "MultiScaleDiscriminator", "combine", "split", "type_attention_mask"]
