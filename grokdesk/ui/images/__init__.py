"""Images on their way into a message and back out of the transcript.

``intake`` (checks and thumbnails off the UI thread), ``attachments`` (the
attachment strip and its chips), ``viewer`` (the large image viewer),
``transcriptimages`` (thumbnails inside the transcript).

Imports no other ``grokdesk.ui`` package: ``chat`` builds on it, not the
reverse.
"""

PUBLIC_MODULES = ("intake", "attachments", "viewer", "transcriptimages")
