"""Image files are read and checked in child processes, started on the first image and
stopped on close or when left idle, with the same result and the same refusals as in
this process; when no child can run, images are still read (in a thread) and that is
logged once."""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import ImageDetail
from grokdesk.core.images import Fix, ImageRefused
from grokdesk.ui.childpool import ChildPool, spawn_pool
from grokdesk.ui.images.intake import FileSource, ReadyImage, read_image, read_source
from tests.helpers.childpools import FailingPool, no_pool


def image_file(path: Path, fmt: str, size: tuple[int, int] = (640, 480)) -> FileSource:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, fmt)
    path.write_bytes(out.getvalue())
    return FileSource(path.name, path)


def read(qtbot: QtBot, source: FileSource, pool: ChildPool) -> ReadyImage | BaseException:
    task = asyncio.get_event_loop().create_task(read_image(source, ImageDetail.HIGH, pool))
    qtbot.waitUntil(task.done, timeout=30_000)
    return task.exception() or task.result()


def test_files_are_read_in_a_child_process_with_the_same_result_and_refusals(
    qtbot: QtBot, qloop: object, tmp_path: Path
) -> None:
    before = set(multiprocessing.active_children())
    pool = ChildPool("test intake", spawn_pool(1), idle_stop_s=1.0)
    try:
        photo = image_file(tmp_path / "photo.jpg", "JPEG")
        ready = read(qtbot, photo, pool)
        assert pool.started and len(set(multiprocessing.active_children()) - before) == 1
        here = read_source(photo, ImageDetail.HIGH)
        assert isinstance(ready, ReadyImage)
        assert ready.part == here.part and ready.part.detail is ImageDetail.HIGH
        assert ready.part.data == photo.path.read_bytes()  # the bytes sent are the file's
        assert ready.thumbnail == here.thumbnail  # the same pixels, thumbnailed there
        # A refusal comes back whole: its sentence and the fix offered.
        refused = read(qtbot, image_file(tmp_path / "anim.gif", "GIF"), pool)
        assert isinstance(refused, ImageRefused)
        assert str(refused) == "anim.gif is a GIF image; Grok accepts JPEG or PNG"
        assert refused.fix is Fix.CONVERT_TO_PNG
        # Left idle, the child stops; the next image starts one again.
        qtbot.waitUntil(lambda: not pool.started, timeout=10_000)
        again = read(qtbot, photo, pool)
        assert isinstance(again, ReadyImage) and again.part == here.part
    finally:
        pool.close()
    assert set(multiprocessing.active_children()) <= before


def test_a_file_changed_after_a_child_checked_it_is_checked_again_here(
    qtbot: QtBot, qloop: object, tmp_path: Path
) -> None:
    # The child does not send a file's bytes back (this process reads them again): the
    # bytes attached are always the bytes checked, even when the file changed between.
    pool = ChildPool("test intake", spawn_pool(1), idle_stop_s=None)
    gate = _StallingFileSource("photo.jpg", tmp_path / "photo.jpg")
    try:
        image_file(gate.path, "JPEG", (640, 480))
        task = asyncio.get_event_loop().create_task(read_image(gate, ImageDetail.AUTO, pool))
        qtbot.waitUntil(lambda: gate.asked, timeout=30_000)  # checked there, about to be read here
        image_file(gate.path, "PNG", (32, 16))
        gate.go.set()
        qtbot.waitUntil(task.done, timeout=30_000)
        ready = task.result()
        assert (ready.part.mime, ready.part.width, ready.part.height) == ("image/png", 32, 16)
        assert ready.part.data == gate.path.read_bytes()
    finally:
        pool.close()


@dataclass(frozen=True)
class _StallingFileSource(FileSource):
    """Waits, when this process reads the bytes again, until the test changed the file.
    The child gets a plain FileSource (events do not pickle)."""

    reading: threading.Event = field(default_factory=threading.Event, compare=False)
    go: threading.Event = field(default_factory=threading.Event, compare=False)

    @property
    def asked(self) -> bool:
        return self.reading.is_set()

    def __reduce__(self) -> tuple[type[FileSource], tuple[str, Path]]:
        return FileSource, (self.name, self.path)

    def bytes_here(self, size: int, sha256: str) -> bytes | None:
        self.reading.set()
        self.go.wait(30)
        return super().bytes_here(size, sha256)


@pytest.mark.parametrize("make_pool", [no_pool, FailingPool], ids=["cannot-start", "broken"])
def test_without_a_child_images_are_read_here_and_that_is_logged_once(
    qtbot: QtBot,
    qloop: object,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    make_pool: Callable[[], Executor],
) -> None:
    pool = ChildPool("test intake", make_pool)
    first = read(qtbot, image_file(tmp_path / "one.png", "PNG"), pool)
    second = read(qtbot, image_file(tmp_path / "two.jpg", "JPEG"), pool)
    assert isinstance(first, ReadyImage) and first.part.name == "one.png"
    assert isinstance(second, ReadyImage) and second.part.name == "two.jpg"
    assert not first.thumbnail.isNull() and not pool.started
    notes = [r for r in caplog.records if r.name == "grokdesk.ui.childpool"]
    assert len(notes) == 1 and notes[0].levelno == logging.INFO
