"""Subcommands of the ``changer`` CLI, one module each, each with a ``register(subparsers)``."""
