"""The "‹ 2/3 ›" switch on a message that has versions (regenerated replies, edited messages).

The transcript calls `header_html` while it renders a message's header and reports
clicks on the arrows as `version_requested`; this module turns them into the
controller's `switch_version`, which changes the shown branch and saves the choice.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from grokdesk.core.conversation import Message
from grokdesk.ui.chat.controller import ChatController
from grokdesk.ui.chat.transcript import TranscriptView


class VersionSwitch(QObject):
    def __init__(self, transcript: TranscriptView, controller: ChatController) -> None:
        super().__init__(transcript)
        self._controller = controller
        transcript.header_extra = self.header_html
        transcript.version_requested.connect(self._on_requested)

    def header_html(self, message: Message) -> str:
        number, count = self._controller.version_of(message.id)
        if count < 2:
            return ""
        # An arrow at the end of the row is plain text, not a dead link.
        prev = f'<a href="version:{message.id}:prev">‹</a>' if number > 1 else "‹"
        following = f'<a href="version:{message.id}:next">›</a>' if number < count else "›"
        return f"&nbsp;&nbsp;&nbsp;{prev}&nbsp;{number}/{count}&nbsp;{following}"

    def _on_requested(self, message_id: str, step: int) -> None:
        self._controller.switch_version(message_id, step)
