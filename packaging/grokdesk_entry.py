"""PyInstaller entry script: the frozen app starts here (same code path as `python -m grokdesk`)."""

import sys

from grokdesk.app import main

if __name__ == "__main__":
    sys.exit(main())
