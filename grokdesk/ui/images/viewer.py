"""A larger view of an image clicked in the transcript."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from grokdesk.core.conversation import ImagePart
from grokdesk.core.images import format_size


class ImageViewer(QDialog):
    """Shows one image, scaled down to fit the screen; decoded elsewhere (`set_image`)."""

    def __init__(self, part: ImagePart, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageViewer")
        self.setWindowTitle(part.name)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.part = part
        self.picture = QLabel("Loading…", self)
        self.picture.setObjectName("imageViewerPicture")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea(self)
        scroll.setWidget(self.picture)
        scroll.setWidgetResizable(True)
        caption = f"{part.name} · {part.width} x {part.height} pixels · {format_size(part.size)}"
        if part.rejected:
            caption += f"\nNot sent: {part.rejected}"
        self.caption = QLabel(caption, self)
        self.caption.setObjectName("imageViewerCaption")
        self.caption.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.caption)
        layout.addWidget(buttons)
        self._image = QImage()
        self.resize(*self._fit(part.width, part.height))

    def add_action(self, label: str, object_name: str, run: Callable[[ImagePart], object]) -> None:
        """A button that does something with this image, then closes the viewer."""
        button = self.buttons.addButton(label, QDialogButtonBox.ButtonRole.ActionRole)
        button.setObjectName(object_name)
        button.clicked.connect(lambda: (run(self.part), self.close()))

    def image(self) -> QImage:
        return self._image

    def set_image(self, image: QImage) -> None:
        self._image = image
        if image.isNull():
            self.picture.setText("This image cannot be shown.")
            return
        width, height = self._fit(image.width(), image.height())
        shown = image
        if image.width() > width or image.height() > height:
            shown = image.scaled(
                width, height, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        self.picture.setPixmap(QPixmap.fromImage(shown))

    def _fit(self, width: int, height: int) -> tuple[int, int]:
        screen = self.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen is not None else None
        max_w = int(area.width() * 0.85) if area is not None else 1200
        max_h = int(area.height() * 0.8) if area is not None else 900
        scale = min(1.0, max_w / max(width, 1), max_h / max(height, 1))
        return max(240, int(width * scale)), max(180, int(height * scale))
