"""`python -m grokdesk`."""

import sys

from grokdesk.app import main

# Guarded: a child process started with "spawn" may import the main module again.
if __name__ == "__main__":
    sys.exit(main())
