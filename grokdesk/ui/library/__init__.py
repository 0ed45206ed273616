"""The library of saved conversations and what they cost.

``panel`` (the dock: list, search, pin, rename, delete with undo), ``model``
(the list model behind it), ``usageview`` (the Usage dialog).

Imports no other ``grokdesk.ui`` package.
"""

PUBLIC_MODULES = ("panel", "usageview")
