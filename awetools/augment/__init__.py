"""Kaldi-style data augmentation of utterance data dirs (``awe augment``).

:mod:`~awetools.augment.options` parses and checks what to do, :mod:`.speed` resamples
(speed perturbation), :mod:`.rooms` reverberates with simulated shoebox rooms,
:mod:`.noise` adds coloured noise and babble, :mod:`.channel` holds the filters (pitch,
telephone, low-pass, EQ, gain), :mod:`.chain` applies a named chain to one signal and
:mod:`.datadir` drives a whole data dir (word times kept exact, output built atomically).
"""
