"""What ``awe augment`` does: speed factors, the perturbation chain and parameter ranges.

Everything a user can get wrong is checked here, before any audio is read: a speed
factor <= 0, an empty range (low > high), an unknown perturbation, a probability outside
[0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

from awetools.errors import AweError

PERTURBATIONS = ("pitch", "reverb", "noise", "babble", "telephone", "lowpass", "eq", "gain")


@dataclass(frozen=True)
class Range:
    """A closed interval ``[low, high]`` parameters are drawn from uniformly."""

    low: float
    high: float


def parse_range(text: str, option: str, positive: bool = False) -> Range:
    """``'5:20'`` -> Range(5, 20); a single number is a one-point range."""
    parts = text.split(":")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise AweError(f"{option} {text}: expected LOW:HIGH (numbers)") from None
    if len(values) not in (1, 2) or any(v != v or abs(v) == float("inf") for v in values):
        raise AweError(f"{option} {text}: expected LOW:HIGH (finite numbers)")
    low, high = values[0], values[-1]
    if low > high:
        raise AweError(f"{option} {text}: empty range (low {low:g} > high {high:g})")
    if positive and low <= 0:
        raise AweError(f"{option} {text}: values must be positive")
    return Range(low, high)


def parse_speeds(text: str) -> tuple[float, ...]:
    """``'0.9,1.0,1.1'`` -> (0.9, 1.0, 1.1); every factor must be > 0, none repeated."""
    speeds = []
    for part in (p.strip() for p in text.split(",")):
        try:
            factor = float(part)
        except ValueError:
            raise AweError(f"--speed {text}: '{part}' is not a number") from None
        if not factor > 0 or factor == float("inf"):
            raise AweError(f"--speed {text}: speed factor '{part}' must be > 0")
        speeds.append(factor)
    if len(set(speeds)) != len(speeds):
        raise AweError(f"--speed {text}: a factor is given twice")
    return tuple(speeds)


@dataclass(frozen=True)
class Step:
    """One perturbation of the chain, applied with probability ``p``."""

    name: str
    p: float = 1.0


def parse_chain(text: str) -> tuple[Step, ...]:
    """``'reverb:0.5,noise,gain'`` -> steps in that order (``NAME[:PROBABILITY]``)."""
    steps = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, prob = part.partition(":")
        if name not in PERTURBATIONS:
            raise AweError(f"--perturb: unknown perturbation '{name}' "
                           f"(choose from {', '.join(PERTURBATIONS)})")
        try:
            p = float(prob) if prob else 1.0
        except ValueError:
            raise AweError(f"--perturb: probability '{prob}' of '{name}' is not a number") from None
        if not 0 <= p <= 1:
            raise AweError(f"--perturb: probability {prob} of '{name}' is not in [0, 1]")
        steps.append(Step(name, p))
    return tuple(steps)


@dataclass(frozen=True)
class AugmentOptions:
    """Options of one ``awe augment`` run (ranges are inclusive; see the man page)."""

    speeds: tuple[float, ...] = (1.0,)
    chain: tuple[Step, ...] = ()
    copies: int = 1
    keep_clean: bool = False
    snr: Range = Range(5.0, 20.0)            # dB, coloured noise
    noise_decay: Range = Range(-6.0, 6.0)    # dB/octave: -6 brown ... 0 white ... +6 violet
    babble_snr: Range = Range(5.0, 15.0)     # dB
    babble_speakers: Range = Range(3, 7)     # other speakers' utterances summed
    rt60: Range = Range(0.2, 0.8)            # s
    pitch: Range = Range(-2.0, 2.0)          # semitones
    lowpass: Range = Range(2000.0, 7000.0)   # Hz cut-off
    eq: Range = Range(-6.0, 6.0)             # dB per band
    gain: Range = Range(-10.0, 6.0)          # dB
    num_rooms: int = 50
    boundary_jitter: Range | None = None     # s, word start earlier / end later (< 0: inward)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.copies < 1:
            raise AweError(f"--copies {self.copies}: must be at least 1")
        if self.num_rooms < 1:
            raise AweError(f"--num-rooms {self.num_rooms}: must be at least 1")
        if not self.chain and (self.copies > 1 or self.keep_clean):
            raise AweError("--copies and --keep-clean need perturbations (--perturb)")
        if self.babble_speakers.low < 1:
            raise AweError("--babble-speakers: at least 1 speaker")

    def prefixes(self) -> list[tuple[float, str, bool]]:
        """(speed, key prefix, perturbed?) of every output copy: Kaldi's ``sp0.9-`` for
        speed, then ``aug1-`` ... ``augN-`` for the perturbed copies."""
        out = []
        for speed in self.speeds:
            sp = "" if speed == 1.0 else f"sp{speed:g}-"
            if not self.chain or self.keep_clean:
                out.append((speed, sp, False))
            if self.chain:
                out.extend((speed, f"{sp}aug{k}-", True) for k in range(1, self.copies + 1))
        return out

    def jitters(self, perturbed: bool) -> bool:
        """Whether a copy's word boundaries move: every copy's but the clean one that
        ``--keep-clean`` keeps beside perturbed ones."""
        return self.boundary_jitter is not None and (perturbed or not self.chain)
