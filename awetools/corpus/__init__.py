"""Corpora: Kaldi data dirs for FSDD and the built-in eSpeak NG corpus (``awe synth``).

Modules: ``fsdd`` (real spoken digits); for the synthetic corpus ``espeak`` (in-process
library binding), ``speakers``, ``text`` (normalisation, sentences, word lists),
``presets``, ``plan`` (what to say), ``render`` (audio on the 16 kHz grid), ``speak`` (how
to say it), ``synth`` (build a corpus) and ``verify`` (check its word boundaries).
"""
