"""``awe augment``: Kaldi-style data augmentation of an utterance data dir."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from awetools.augment.datadir import augment_data_dir
from awetools.augment.options import PERTURBATIONS, AugmentOptions, parse_chain, parse_range, parse_speeds
from awetools.cli.main import app


@app.command("augment")
def augment_command(
    src: Path = typer.Argument(..., metavar="SRC_DATA_DIR", help="Utterance data dir (wav.scp, utt2spk, text, words.ctm[, segments])."),
    out: Path = typer.Argument(..., metavar="OUT_DATA_DIR", help="Augmented data dir to write (wavs under OUT/wav)."),
    speed: str = typer.Option("1.0", "--speed", help="Speed factors, comma-separated (Kaldi: 0.9,1.0,1.1); keys of factor f != 1 get the prefix 'sp<f>-' (sp0.9-), word times are divided by f."),
    perturb: str = typer.Option("", "--perturb", metavar="NAME[:P],...", help=f"Perturbation chain, applied in the order given, each with probability P (default 1): {', '.join(PERTURBATIONS)}."),
    copies: int = typer.Option(1, "--copies", help="Perturbed copies per speed factor (keys 'aug1-' ... 'augN-')."),
    keep_clean: bool = typer.Option(False, "--keep-clean", help="Also write the unperturbed copy of each speed factor."),
    snr: str = typer.Option("5:20", "--snr", help="noise: SNR range in dB."),
    noise_decay: str = typer.Option("-6:6", "--noise-decay", help="noise: spectral slope range in dB/octave (-6 brown, -3 pink, 0 white)."),
    babble_snr: str = typer.Option("5:15", "--babble-snr", help="babble: SNR range in dB."),
    babble_speakers: str = typer.Option("3:7", "--babble-speakers", help="babble: how many other speakers' recordings are summed."),
    rt60: str = typer.Option("0.2:0.8", "--rt60", help="reverb: RT60 range in seconds of the simulated rooms."),
    num_rooms: int = typer.Option(50, "--num-rooms", help="reverb: simulated rooms drawn from --seed (each copy picks one)."),
    pitch: str = typer.Option("-2:2", "--pitch", help="pitch: shift range in semitones (duration kept)."),
    lowpass: str = typer.Option("2000:7000", "--lowpass", help="lowpass: cut-off range in Hz."),
    eq: str = typer.Option("-6:6", "--eq", help="eq: gain range in dB of each octave band (100 Hz up)."),
    gain: str = typer.Option("-10:6", "--gain", help="gain: range in dB."),
    boundary_jitter: str = typer.Option("", "--boundary-jitter", metavar="LOW:HIGH", help="Move each word's start earlier and its end later by seconds drawn from LOW:HIGH (negative: inward; never into the middle half of the word), as real alignments and recordings do; every copy but the clean one of --keep-clean."),
    ctm: Path | None = typer.Option(None, "--ctm", help="Word alignment of SRC (default SRC/words.ctm)."),
    seed: int = typer.Option(0, "--seed", help="Seed: same input and seed give identical output, whatever --nj."),
    nj: int = typer.Option(1, "--nj", help="Parallel processes (the output does not depend on it)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT_DATA_DIR if it exists."),
) -> None:
    """Augment an utterance data dir, keeping word times exact.

    Usage: awe augment [options] SRC_DATA_DIR OUT_DATA_DIR

    Writes OUT with one recording per source recording and copy: for every --speed
    factor, the clean copy (without --perturb, or with --keep-clean) and --copies
    perturbed ones.  Perturbations: pitch (pitch and formants shifted together: a
    pitch and vocal-tract-length change, duration kept), reverb (pyroomacoustics
    shoebox room, direct-path delay removed), noise (coloured noise), babble (other
    speakers of SRC), telephone (high-pass 200-400 Hz + 8 kHz round trip), lowpass,
    eq (parametric, octave bands), gain.  words.ctm, text, utt2spk, spk2utt (and segments)
    follow, with times divided by the speed factor; --boundary-jitter moves word
    boundaries at random (synthetic times are exact, real ones are not).

    Example:

    \b
      awe augment --speed 0.9,1.0,1.1 --nj 2 data/de/train data/de/train_sp
      awe augment --perturb reverb:0.5,noise:0.5,babble:0.3,telephone:0.2,gain \\
          --copies 2 --keep-clean --seed 1 data/de/train data/de/train_aug
      awe augment --perturb noise --keep-clean --boundary-jitter 0:0.08 \\
          data/de/train data/de/train_noisy
    """
    options = AugmentOptions(
        speeds=parse_speeds(speed), chain=parse_chain(perturb), copies=copies,
        keep_clean=keep_clean, snr=parse_range(snr, "--snr"),
        noise_decay=parse_range(noise_decay, "--noise-decay"),
        babble_snr=parse_range(babble_snr, "--babble-snr"),
        babble_speakers=parse_range(babble_speakers, "--babble-speakers", positive=True),
        rt60=parse_range(rt60, "--rt60", positive=True), pitch=parse_range(pitch, "--pitch"),
        lowpass=parse_range(lowpass, "--lowpass", positive=True), eq=parse_range(eq, "--eq"),
        gain=parse_range(gain, "--gain"), num_rooms=num_rooms, seed=seed,
        boundary_jitter=parse_range(boundary_jitter, "--boundary-jitter") if boundary_jitter else None)
    count = augment_data_dir(src, out, options, nj=max(1, nj), ctm=ctm, overwrite=overwrite)
    print(f"awe augment: {count} recordings written to {out}", file=sys.stderr)
