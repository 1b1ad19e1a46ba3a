#!/usr/bin/env python3
"""Word CTM for an English data dir without word times: PocketSphinx forced alignment.

Usage: local/pocketsphinx_ctm.py DATA_DIR OUT_CTM
Needs the 'align' extra (pip install 'awetools[align]').  Utterances with words outside
the CMU dictionary, or that the aligner cannot follow to the end, are left out and
counted on stderr (see awetools/forced_align.py).
"""

import sys

from awetools.errors import AweError
from awetools.forced_align import force_align

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(sys.argv) != 2 else sys.stdout)
        sys.exit(0 if len(sys.argv) == 2 else 2)
    try:
        report = force_align(sys.argv[1], sys.argv[2])
    except AweError as error:
        print(f"{sys.argv[0]}: error: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"{sys.argv[0]}: {report.summary()}", file=sys.stderr)
