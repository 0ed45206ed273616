"""Making and editing images inside a conversation, with an image model picked.

With an image-generation model selected, the composer's text is the prompt and
the images attached to it are edited. The tab shows how many images to make, the
aspect ratio and the resolution; the controller runs the turn through
`ImageGeneration.prepare`, so Stop, the streaming state, saving and Retry work as
for a chat reply. The reply holds the images themselves (stored by SHA-256 with
the conversation, like attachments), the revised prompt and what it cost.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from grokdesk.api.errors import BadRequest, ImageModerated
from grokdesk.core import imagegen
from grokdesk.core.conversation import Conversation, ImagePart, Message, Part, TextPart, Usage
from grokdesk.core.imagegen import ImageModel, ImageOptions, ImageTurn

if TYPE_CHECKING:
    from grokdesk.ui.chat.tab import ConversationTab
    from grokdesk.ui.modelcatalog import ModelCatalog

ASPECT_LABELS = {"auto": "Aspect: auto"}
QUALITY_LABELS = {"auto": "Quality: auto", "low": "Quality: low", "medium": "Quality: medium"}


class ImageControls(QWidget):
    """How many images, which aspect ratio, which resolution and (on models that take it)
    which quality; shown with an image model."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageControls")
        self.count = QSpinBox(self)
        self.count.setObjectName("imageCount")
        self.count.setRange(1, imagegen.MAX_IMAGES)
        self.count.setAccessibleName("Number of images")
        self.count.setSuffix(" image(s)")
        self.aspect = QComboBox(self)
        self.aspect.setObjectName("imageAspectRatio")
        self.aspect.setAccessibleName("Aspect ratio")
        self._set_aspect_ratios(imagegen.ASPECT_RATIOS)
        self.resolution = QComboBox(self)
        self.resolution.setObjectName("imageResolution")
        self.resolution.setAccessibleName("Resolution")
        for value in imagegen.RESOLUTIONS:
            self.resolution.addItem(value.upper(), value)
        self.quality = QComboBox(self)
        self.quality.setObjectName("imageQuality")
        self.quality.setAccessibleName("Quality")
        self.quality.setToolTip("Auto lets xAI choose: low for a new image, medium for an edit.")
        for value in imagegen.QUALITIES:
            self.quality.addItem(QUALITY_LABELS[value], value)
        self.hint = QLabel(self)
        self.hint.setObjectName("imageHint")
        self.hint.setWordWrap(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.count)
        row.addWidget(self.aspect)
        row.addWidget(self.resolution)
        row.addWidget(self.quality)
        row.addWidget(self.hint, 1)
        self.hide()

    def options(self) -> ImageOptions:
        return ImageOptions(
            n=self.count.value(),
            aspect_ratio=str(self.aspect.currentData()),
            resolution=str(self.resolution.currentData()),
            quality=str(self.quality.currentData()) if self.quality.isVisibleTo(self) else "auto",
        )

    def _set_aspect_ratios(self, ratios: tuple[str, ...]) -> None:
        """Offer these ratios, keeping the chosen one when it is still offered."""
        chosen = self.aspect.currentData()
        self.aspect.clear()
        for ratio in ratios:
            self.aspect.addItem(ASPECT_LABELS.get(ratio, ratio), ratio)
        self.aspect.setCurrentIndex(max(0, self.aspect.findData(chosen)))

    def describe(self, model: ImageModel | None, model_id: str) -> None:
        # What the model takes follows its own id: an alias ("-latest") says nothing.
        canonical = model.id if model is not None else model_id
        self._set_aspect_ratios(imagegen.aspect_ratios_for(canonical))
        self.quality.setVisible(imagegen.is_second_generation(canonical))
        pieces = ["The text you send is the prompt."]
        if model is None or model.edits_images:
            pieces.append("Attached images (up to 5: <IMAGE_0>, <IMAGE_1>…) are edited.")
        if model is not None and model.price_ticks is not None:
            pieces.append(f"{imagegen.format_ticks(model.price_ticks)} per image.")
        self.hint.setText(" ".join(pieces))
        self.hint.setToolTip(f"{model_id} makes images (Grok Imagine); it does not chat.")


class _ImageTurn:
    """One image request of the controller (see `PreparedTurn`)."""

    def __init__(self, model: str, info: ImageModel | None, turn: ImageTurn | None, options: ImageOptions):
        self._model = model
        self._info = info
        self._turn = turn
        self._options = options
        editing = bool(turn and turn.sources)
        self.placeholder: list[Part] = [TextPart(imagegen.progress_text(options.n, editing))]

    async def run(self, client: object, reply: Message) -> None:
        # Imported here: httpx (behind the API) is not needed before the first paint.
        from grokdesk.api import images as api_images

        turn = self._turn
        try:
            if turn is None:
                raise BadRequest("Write what the image should show, then send it to the image model.")
            if turn.sources and self._info is not None and not self._info.edits_images:
                raise BadRequest(
                    f"{self._model} cannot edit images. Pick an image model that edits images, or send "
                    "the prompt without images."
                )
            api: Any = client
            canonical = self._info.id if self._info is not None else None
            if turn.sources:
                body = imagegen.edit_body(
                    self._model, turn.prompt, turn.sources, self._options, canonical=canonical
                )
                result = await api_images.edit_images(api, body)
            else:
                body = imagegen.generation_body(self._model, turn.prompt, self._options, canonical=canonical)
                result = await api_images.generate_images(api, body)
            # Checking each image decodes it: off the UI thread.
            parts = await asyncio.to_thread(imagegen.reply_parts, result, turn.prompt)
        except ImageModerated as error:
            # Billed all the same: the reply keeps the cost (counted in Usage) and a line of
            # text, so Retry keeps it as an earlier version instead of dropping it as empty.
            reply.parts = [TextPart("No image: xAI's content moderation rejected it.")]
            if error.cost_ticks:
                reply.usage = Usage(cost_in_usd_ticks=error.cost_ticks)
            raise
        except BaseException:
            reply.parts = []  # the progress line goes; Stop or the error says what happened
            raise
        ticks = result.cost_ticks
        if ticks is None and self._info is not None and self._info.price_ticks is not None:
            ticks = self._info.price_ticks * len(result.images)
        reply.parts = parts
        reply.usage = Usage(cost_in_usd_ticks=ticks or 0, images=len(result.images))


class ImageGeneration(QObject):
    """The image side of one tab: its controls, its turns, and the actions on images
    in the transcript ("Edit this image", "Use as attachment")."""

    def __init__(self, tab: ConversationTab, catalog: ModelCatalog | None) -> None:
        super().__init__(tab)
        self._tab = tab
        self._catalog = catalog
        self.controls = ImageControls(tab)
        tab.controller.turn_runner = self
        tab.model_changed.connect(lambda _model: self.update_controls())
        if catalog is not None:
            catalog.models_changed.connect(self.update_controls)
        # A reply's images arrive after it is added (generated, or made by the model's image
        # tool mid-reply): make their thumbnails as they come.
        tab.controller.message_changed.connect(self._on_message_changed)
        shown = tab.attachments.shown
        shown.actions.append(("Edit this image", "editImageButton", self.edit_image))
        shown.actions.append(("Use as attachment", "useAsAttachmentButton", self.use_as_attachment))
        self.update_controls()

    def _on_message_changed(self, message: Message) -> None:
        if message.images:
            self._tab.attachments.ensure_thumbnails([message])

    def is_image_model(self, model: str) -> bool:
        if self._catalog is None or not model:
            return False
        return self._catalog.is_image_model(model) or imagegen.is_image_model_id(model)

    def update_controls(self) -> None:
        model = self._tab.controller.conversation.model
        active = self.is_image_model(model)
        self.controls.setVisible(active)
        if active and self._catalog is not None:
            self.controls.describe(self._catalog.image_info(model), model)

    def prepare(self, model: str, conversation: Conversation) -> _ImageTurn | None:
        if not self.is_image_model(model):
            return None
        info = self._catalog.image_info(model) if self._catalog is not None else None
        return _ImageTurn(model, info, imagegen.image_turn(conversation.messages), self.controls.options())

    # -- images in the transcript -------------------------------------------------------

    def edit_image(self, part: ImagePart) -> None:
        """Put the image in the composer to be edited, with a model that edits images."""
        self._attach(part)
        if not self._edits(self._tab.controller.conversation.model):
            target = self._editing_model()
            if target is not None:
                self._tab.select_model(target)
        self._tab.composer.setFocus()

    def use_as_attachment(self, part: ImagePart) -> None:
        """Attach the image to the next chat turn (to be described by a vision model)."""
        self._attach(part)
        if self.is_image_model(self._tab.controller.conversation.model):
            target = self._tab.attachments.image_model()
            if target is not None:
                self._tab.select_model(target)
        self._tab.composer.setFocus()

    def _attach(self, part: ImagePart) -> None:
        from grokdesk.ui.images.intake import CheckedSource

        self._tab.attachments.attach([CheckedSource(part.name, part)])

    def _edits(self, model: str) -> bool:
        if not self.is_image_model(model) or self._catalog is None:
            return False
        info = self._catalog.image_info(model)
        return info is None or info.edits_images

    def _editing_model(self) -> str | None:
        models = self._catalog.image_models if self._catalog is not None else []
        return next((m.id for m in models if m.edits_images), None)
