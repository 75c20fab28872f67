"""The Gradio UI: a Blend tab and an Evaluate tab over ``changer.pipeline`` and ``eval.runner``."""
