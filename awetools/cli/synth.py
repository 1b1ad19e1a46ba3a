"""``awe synth``: the built-in multilingual spoken corpus, synthesised with eSpeak NG, Festival and MBROLA."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from awetools.cli.main import app
from awetools.corpus.presets import PRESETS, preset_config, rate_range, speakers_per_split
from awetools.corpus.speakers import ISOLATED_RATE, RUNNING_RATE
from awetools.corpus.plan import supported_languages
from awetools.corpus.synth import build_corpus
from awetools.corpus.text import default_texts


def _codes(value: str | None) -> tuple[str, ...] | None:
    """'de,es' -> ('de', 'es'); 'none' -> ()."""
    if value is None:
        return None
    if value.strip().lower() == "none":
        return ()
    return tuple(code.strip().lower() for code in value.split(",") if code.strip())


@app.command("synth")
def synth_command(
    out_dir: Path | None = typer.Argument(None, help="Corpus directory to write (OUT/<lang>/<split>)."),
    preset: str = typer.Option("small", "--preset", help=f"Corpus size: {', '.join(PRESETS)}."),
    languages: str | None = typer.Option(None, "--languages", help="Isolated-word languages, comma-separated, or 'none' (default: the preset's de,es,fr,it,nl,pl,pt,ru,sv,tr)."),
    festival_languages: str | None = typer.Option(None, "--festival-languages", help="Isolated-word languages also said by Festival's voices from recordings (cs, fi, hi, it, ru; 'sudo make festival-deps'), comma-separated, or 'none' (default: none)."),
    mbrola_languages: str | None = typer.Option(None, "--mbrola-languages", help="Isolated-word languages also said by MBROLA's diphone voices, each cut from one real talker (de, es, fr, it, nl, pl, pt, sv, tr and more; 'sudo make mbrola-deps'), comma-separated, or 'none' (default: none)."),
    target: str = typer.Option("en", "--target-language", help="Running-speech language, or 'none'."),
    text: list[Path] | None = typer.Option(None, "--text", help="UTF-8 text for the running speech (repeatable; default $AWE_SHARED_DATA/text/<target>/*.txt, AWE_SHARED_DATA=../shared/data)."),
    num_words: int | None = typer.Option(None, "--num-words", help="Word types per isolated-word language (overrides the preset)."),
    running_words: int | None = typer.Option(None, "--running-words", help="Running words of the target, all splits (overrides the preset; 80/10/10 %)."),
    speakers: str | None = typer.Option(None, "--speakers", metavar="TRAIN,DEV,TEST", help="Isolated-word speakers per split and engine (overrides the preset: small 16,2,2, large 8,2,2); each says every word once."),
    running_speakers: str | None = typer.Option(None, "--running-speakers", metavar="TRAIN,DEV,TEST", help="Running-speech speakers per split (overrides the preset: small 8,2,2, large and semantic 40,6,6)."),
    isolated_rate: str = typer.Option("{}:{}".format(*ISOLATED_RATE), "--isolated-rate", metavar="LOW:HIGH", help="Isolated-word speakers' speaking rates, words per minute on eSpeak's scale (80-450; 175 its default): each speaker's is drawn uniformly from the range, each token's within 7 % of it."),
    running_rate: str = typer.Option("{}:{}".format(*RUNNING_RATE), "--running-rate", metavar="LOW:HIGH", help="Running-speech speakers' speaking rates, as --isolated-rate."),
    snr: float | None = typer.Option(None, "--snr", help="Add coloured noise at this SNR (dB; default: clean)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (speakers, sentences, variation, noise)."),
    nj: int = typer.Option(1, "--nj", help="Parallel processes (the output does not depend on it)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT_DIR if it exists."),
    list_languages: bool = typer.Option(False, "--list-languages", help="Print the languages usable for isolated words and exit."),
) -> None:
    """Synthesise a multilingual spoken corpus with exact word boundaries.

    Usage: awe synth [options] OUT_DIR

    Writes one Kaldi data dir per language and split, OUT/<lang>/{train,dev,test}
    (wav.scp, text, utt2spk, spk2utt, words.ctm, lexicon.txt, manifest.json; 16 kHz
    16-bit wavs): isolated frequent words for the --languages, running speech from --text
    for the --target-language.  Speakers (eSpeak voice variant or Festival voice,
    vocal-tract scale, rate, pitch, spectral tilt) never cross splits.  With
    --festival-languages, Festival's diphone and unit-selection voices (cut from real
    recordings) say the isolated words too, as extra speakers; with --mbrola-languages,
    MBROLA's diphone voices (one real talker each, eSpeak NG as front end).  Counts go to
    stderr.

    Example:

    \b
      awe synth --nj 2 data/synth
      awe synth --festival-languages cs,fi,it,ru --nj 2 data/synth2
      awe synth --mbrola-languages de,es,fr,it,nl,pl,pt,sv,tr --nj 2 data/synth3
      awe synth --preset large --target-language none --num-words 500 --speakers 16,2,2 --nj 2 data/transfer
      awe synth --isolated-rate 90:160 --running-rate 120:180 --nj 2 data/slow
      awe segment --ctm data/synth/en/train/words.ctm data/synth/en/train data/en_train_words
    """
    if list_languages:
        print("\n".join(supported_languages()))
        return
    if out_dir is None:
        raise typer.BadParameter("missing OUT_DIR", param_hint="OUT_DIR")
    if preset not in PRESETS:
        raise typer.BadParameter(f"'{preset}' (choose from {', '.join(PRESETS)})", param_hint="--preset")
    target_code = _codes(target)
    target_language = target_code[0] if target_code else ""
    texts = tuple(text) if text else (tuple(default_texts(target_language)) if target_language else ())
    config = preset_config(preset, languages=_codes(languages),
                           festival_languages=_codes(festival_languages),
                           mbrola_languages=_codes(mbrola_languages), target=target_language,
                           texts=texts, num_words=num_words, running_words=running_words,
                           isolated_speakers=None if speakers is None
                           else speakers_per_split(speakers, "--speakers"),
                           running_speakers=None if running_speakers is None
                           else speakers_per_split(running_speakers, "--running-speakers"),
                           isolated_rate=rate_range(isolated_rate, "--isolated-rate"),
                           running_rate=rate_range(running_rate, "--running-rate"),
                           seed=seed, snr=snr)
    manifest = build_corpus(out_dir, config, nj=max(1, nj), overwrite=overwrite)
    for entry in manifest["data_dirs"]:
        print(f"awe synth: {entry['language']}/{entry['split']}: {entry['utterances']} utterances, "
              f"{entry['speakers']} speakers, {entry['tokens']} tokens ({entry['types']} types), "
              f"{entry['hours']:.3f} h", file=sys.stderr)
