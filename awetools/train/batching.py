"""Batches for pair objectives, bucketed by length.

Each epoch, the tokens of every word type are shuffled and grouped into same-word pairs
(a type with an odd count gets one triple), so every token is seen once per epoch and
every batch holds positives for each of its tokens.  Groups are then shuffled, taken in
pools of ``pool`` batches, sorted by length inside a pool and cut into batches of about
``batch_size`` tokens: padding stays small while batch composition stays random.
Objectives without pairs use groups of one token.
"""

from __future__ import annotations

import numpy as np

from awetools.errors import AweError


def pair_groups(labels: np.ndarray, rng: np.random.Generator, group_size: int = 2) -> np.ndarray:
    """Group id of every token: same-word groups of ``group_size`` (remainder joins the last)."""
    if group_size == 1:
        return rng.permutation(len(labels))
    order = np.lexsort((rng.random(len(labels)), labels))  # by type, random within type
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    counts = np.diff(np.r_[starts, len(labels)])
    position = np.arange(len(labels)) - np.repeat(starts, counts)
    groups_per_type = np.maximum(counts // group_size, 1)
    local = np.minimum(position // group_size, np.repeat(groups_per_type, counts) - 1)
    offsets = np.r_[0, np.cumsum(groups_per_type)[:-1]]
    group = np.empty(len(labels), dtype=np.int64)
    group[order] = np.repeat(offsets, counts) + local
    return group


def bucket_batches(groups: np.ndarray, lengths: np.ndarray, batch_size: int,
                   rng: np.random.Generator, pool: int = 50) -> list[np.ndarray]:
    """Token indices per batch; a group is never split; batch order is random."""
    n_groups = int(groups.max()) + 1
    group_size = np.bincount(groups, minlength=n_groups)
    group_length = np.bincount(groups, weights=lengths, minlength=n_groups) / np.maximum(group_size, 1)
    rank = np.empty(n_groups, dtype=np.int64)
    rank[rng.permutation(n_groups)] = np.arange(n_groups)
    mean_size = max(1.0, len(groups) / n_groups)
    pool_of = rank // max(1, int(pool * batch_size / mean_size))
    group_order = np.lexsort((group_length, pool_of))
    # cut the ordered groups whenever the running token count passes a batch boundary
    filled = np.cumsum(group_size[group_order])
    batch_of_group = np.empty(n_groups, dtype=np.int64)
    batch_of_group[group_order] = (filled - 1) // batch_size
    token_batch = batch_of_group[groups]
    order = np.lexsort((lengths, token_batch))
    bounds = np.flatnonzero(np.diff(token_batch[order])) + 1
    batches = np.split(order, bounds)
    return [batches[i] for i in rng.permutation(len(batches))]


def epoch_batches(labels: np.ndarray, lengths: np.ndarray, batch_size: int, seed: int,
                  epoch: int, group_size: int) -> list[np.ndarray]:
    """The batches of one epoch, a pure function of (seed, epoch): resumable and shardable."""
    rng = np.random.default_rng([seed, epoch])
    return bucket_batches(pair_groups(labels, rng, group_size), lengths, batch_size, rng)


def shard(batches: list[np.ndarray], rank: int, world_size: int) -> list[np.ndarray]:
    """This rank's batches; every rank gets the same number of steps (the rest is dropped)."""
    if world_size == 1:
        return batches
    if len(batches) < world_size:
        raise AweError(f"{len(batches)} batches per epoch for {world_size} processes: "
                       "use a smaller --batch-size or fewer processes")
    return batches[rank:len(batches) - len(batches) % world_size:world_size]
