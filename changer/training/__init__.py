"""Training: config, losses and the accelerate-based trainer."""
