"""`python -m grokdesk`."""

import sys

from grokdesk.app import main

sys.exit(main())
