"""Reading a Qt text document as a user's tools would: the links it holds."""

from __future__ import annotations

from PySide6.QtGui import QTextDocument


def document_anchors(document: QTextDocument) -> list[str]:
    """Every link target in the document, in order."""
    found = []
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.isValid() and fragment.charFormat().isAnchor():
                found.append(fragment.charFormat().anchorHref())
            iterator += 1
        block = block.next()
    return found
