"""changer: an open implementation of CHANGER (head blending with chroma keying, WACV 2025)."""

__version__ = "0.1.0"
