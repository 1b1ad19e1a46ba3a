"""Training of phonetic AWE models: data checks and caps, length-bucketed pair batches,
losses, the epoch loop with checkpoints, and the ``awe train-phonetic`` library call."""
