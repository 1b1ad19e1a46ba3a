"""Registry of subcommands: one import per command module (each registers itself)."""

# Each module decorates its function with ``@app.command(...)`` or ``@eval_app.command(...)``.
from awetools.cli import segment  # noqa: F401
from awetools.cli import featurize  # noqa: F401
from awetools.cli import report  # noqa: F401
from awetools.cli import plot  # noqa: F401
from awetools.cli import cluster  # noqa: F401
from awetools.cli import eval_wordsim  # noqa: F401
from awetools.cli import eval_qbe  # noqa: F401
from awetools.cli import eval_samediff  # noqa: F401
from awetools.cli import train_phonetic  # noqa: F401
from awetools.cli import embed  # noqa: F401
from awetools.cli import train_skipgram  # noqa: F401
from awetools.cli import synth  # noqa: F401
from awetools.cli import align  # noqa: F401
from awetools.cli import eval_translate  # noqa: F401
from awetools.cli import eval_probe  # noqa: F401
