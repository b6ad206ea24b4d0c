"""The evaluation entry from a checkout: `python eval/run.py ARGS` is `rag eval ARGS`.

Example: python eval/run.py --gold eval/gold/dev.jsonl --corpus rag/sample_corpus --compare bm25
"""

import sys

from rag.cli import main

if __name__ == "__main__":
    sys.argv = ["rag", "eval", *sys.argv[1:]]
    main()
