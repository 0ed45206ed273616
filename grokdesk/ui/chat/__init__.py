"""One conversation tab and everything a turn passes through.

``tab`` (the tab widget that holds the rest), ``controller`` (owns the streaming
task of one turn), ``transcript`` (the read-only view of the messages),
``composer`` (where the next message is written, images inline), ``imageattach``
(glue between the composer and the attachment strip), ``contextmeter`` and
``tokencount`` (the context window meter and its token counting),
``conversationsettings`` (the per-conversation dialog), ``versions`` (the switch
between versions of a message), ``mathrender`` (typesets the LaTeX formulas of the
transcript off the UI thread), ``tooltoggles`` (the live search and code buttons),
``toolrecords`` (tool calls and sources in a reply).

Depends on ``grokdesk.ui.images`` (its public modules) and the shared plumbing
at the top of ``grokdesk.ui``; nothing outside ``mainwindow`` imports from here.
"""

PUBLIC_MODULES = ("tab", "controller", "transcript", "composer")
