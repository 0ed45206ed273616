"""Application settings, the API key and the first run.

``appsettings`` (typed, versioned QSettings), ``dialog`` (the Settings dialog),
``keyentry`` (the key field with its Check button), ``welcome`` (the first-run
view that asks for a key).

Imports no other ``grokdesk.ui`` package.
"""

PUBLIC_MODULES = ("appsettings", "dialog", "keyentry", "welcome")
