"""Head parsing: a small 5-class segmentation network and the pipeline's parser hook.

``get_parser()`` returns the bundled :class:`HeadParser` (``changer/weights/parser/``) or
None; :func:`changer.pipeline.find_parser` calls it when the user gives no label maps.
``load_parser(id)`` loads any parser folder or Hub id, including the optional SegFormer
backend (:mod:`changer.parsing.segformer`, needs ``transformers``).
"""

from changer.parsing.config import ParserConfig
from changer.parsing.metrics import IoUAccumulator, pooled_iou
from changer.parsing.network import ParserNet
from changer.parsing.parser import HeadParser, LabelParser, ParseOptions, Parsed, get_parser, load_parser

__all__ = [
    "HeadParser", "IoUAccumulator", "LabelParser", "ParseOptions", "Parsed", "ParserConfig", "ParserNet", "get_parser", "load_parser", "pooled_iou",
]
