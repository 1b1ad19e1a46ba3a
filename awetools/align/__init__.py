"""Cross-modal (and cross-lingual) alignment of embedding spaces.

A linear map ``W`` takes source vectors (speech types, averaged per label or cluster)
into a target word-vector space: supervised from a seed dictionary
(:mod:`~awetools.align.procrustes`), or unsupervised by adversarial training
(:mod:`~awetools.align.adversarial`) followed by Procrustes refinement on dictionaries
induced with CSLS (:mod:`~awetools.align.csls`, :mod:`~awetools.align.dictionary`).
:mod:`~awetools.align.pipeline` ties them together for ``awe align``.
"""
