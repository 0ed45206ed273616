"""PyInstaller entry script: the frozen app starts here (same code path as `python -m grokdesk`)."""

import sys

if __name__ == "__main__":
    from grokdesk.app import main

    sys.exit(main())
