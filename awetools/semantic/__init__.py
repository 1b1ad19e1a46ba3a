"""Semantic AWEs: skipgram-style models trained on the context of spoken words.

Every method learns from the same (center, context) segment pairs: segments of one
source utterance whose word positions differ by at most the window
(:mod:`awetools.semantic.context`); :mod:`awetools.semantic.models` holds the networks
and their losses, :mod:`awetools.semantic.train` the training run and the model dir,
:mod:`awetools.semantic.embed` turns segments into semantic vectors with a model dir.
"""
