"""`python -m audit BUNDLE`: audit an export bundle without the node (`solnet audit` also reads data dirs and URLs)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
