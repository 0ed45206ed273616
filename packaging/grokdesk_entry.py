"""PyInstaller entry script: the frozen app starts here (same code path as `python -m grokdesk`)."""

import sys

if __name__ == "__main__":
    if "--smoke-send" in sys.argv[1:]:
        # Hidden end-to-end check of a built app (packaging/smoke_stream.py).
        from grokdesk_smoke_send import main as smoke_send

        sys.exit(smoke_send(sys.argv[1:]))

    from grokdesk.app import main

    sys.exit(main())
