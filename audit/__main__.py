"""`python -m audit SOURCE`: the audit command until `solnet audit` is registered."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
