"""Export to Markdown and GrokDesk JSON, import GrokDesk JSON and ChatGPT exports, refuse bad files whole."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from grokdesk.core import versions
from grokdesk.core.conversation import Conversation, ImagePart, Message, Role, TextPart
from grokdesk.storage import jsonformat
from grokdesk.storage.errors import DiskFull, ImportFailed
from grokdesk.storage.exporter import export_conversations
from grokdesk.storage.importer import import_file, import_paths
from grokdesk.storage.store import Store
from tests.data.builders import image_bytes, rich_conversation

CHATGPT_SAMPLE = Path(__file__).parents[1] / "data" / "chatgpt" / "conversations.json"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "data")
    yield store
    store.close()


@pytest.fixture
def other_store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "other")
    yield store
    store.close()


def texts(conv: Conversation) -> list[tuple[Role, str]]:
    return [(m.role, m.plain_text) for m in conv.messages]


# ---------------------------------------------------------------- Markdown


def test_markdown_export_writes_the_transcript_and_images_beside_it(store: Store, tmp_path: Path) -> None:
    conv = rich_conversation()
    store.replace_conversation(conv)
    [path] = export_conversations(store, tmp_path / "out", "md")
    text = path.read_text(encoding="utf-8")
    assert path.name == f"Cats-and-the-Eiffel-tower-{conv.id[:8]}.md"
    assert text.startswith("# Cats and the Eiffel tower\n")
    assert "- System prompt: Answer briefly." in text
    assert "## You · " in text and "## Assistant (grok-4-0709) · " in text
    assert "A tabby cat sitting near the Eiffel tower." in text
    assert "<details><summary>Reasoning</summary>" in text
    assert "> Connection lost; the reply was kept." in text
    assert "> **Error:** The server closed the connection." in text and "*(failed)*" in text
    for image in conv.messages[1].images:
        link = f"{path.stem}_files/{image.sha256[:16]}"
        assert f"![{image.name}]({link}" in text
        [written] = (path.parent / f"{path.stem}_files").glob(image.sha256[:16] + ".*")
        assert written.read_bytes() == image.data


def test_markdown_export_never_overwrites(store: Store, tmp_path: Path) -> None:
    store.replace_conversation(rich_conversation())
    first = export_conversations(store, tmp_path / "out", "md")
    second = export_conversations(store, tmp_path / "out", "md")
    assert first != second and all(p.exists() for p in first + second)


# -------------------------------------------------------------------- JSON


def test_json_export_import_round_trips_everything(store: Store, other_store: Store, tmp_path: Path) -> None:
    convs = [rich_conversation(), rich_conversation("Second chat")]
    convs[1].pinned = False
    for conv in convs:
        store.replace_conversation(conv)
    deleted = Conversation(title="deleted one")
    store.save_conversation(deleted)
    store.delete_conversation(deleted.id)

    [path] = export_conversations(store, tmp_path / "out", "json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert (document["format"], document["version"]) == ("grokdesk", jsonformat.FORMAT_VERSION)
    assert len(document["conversations"]) == 2  # the deleted one is not exported
    assert len(document["images"]) == 2  # two images, each once though used by both conversations
    sha, image = next(iter(document["images"].items()))
    assert hashlib.sha256(base64.b64decode(image["data"])).hexdigest() == sha

    report = import_paths(other_store, [path])
    assert report.failures == [] and sorted(report.imported_ids) == sorted(c.id for c in convs)
    for conv in convs:
        loaded = other_store.load_conversation(conv.id)
        assert loaded == conv
        for got, want in zip(loaded.messages, conv.messages, strict=True):
            assert [getattr(p, "data", None) for p in got.parts] == [
                getattr(p, "data", None) for p in want.parts
            ]
    # The same file again adds nothing.
    again = import_paths(other_store, [path])
    assert again.imported_ids == [] and again.skipped == 2
    assert len(other_store.list_conversations()) == 2


def test_exporting_chosen_conversations(store: Store, tmp_path: Path) -> None:
    keep, leave = rich_conversation("keep me"), rich_conversation("leave me")
    store.replace_conversation(keep)
    store.replace_conversation(leave)
    [path] = export_conversations(store, tmp_path / "out", "json", ids=[keep.id])
    assert [c["title"] for c in json.loads(path.read_text(encoding="utf-8"))["conversations"]] == ["keep me"]


def test_importing_a_copy_into_the_same_store_keeps_message_ids_unique(store: Store, tmp_path: Path) -> None:
    conv = rich_conversation()
    store.replace_conversation(conv)
    [path] = export_conversations(store, tmp_path / "out", "json")
    document = json.loads(path.read_text(encoding="utf-8"))
    document["conversations"][0]["id"] = "a-copy"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert import_file(store, path).imported == ["a-copy"]
    copy = store.load_conversation("a-copy")
    assert texts(copy) == texts(conv)
    assert not {m.id for m in copy.messages} & {m.id for m in conv.messages}
    assert len(store.load_conversation(conv.id).messages) == len(conv.messages)


# ----------------------------------------------------------------- ChatGPT


def test_chatgpt_import_follows_the_current_branch(store: Store, tmp_path: Path) -> None:
    report = import_paths(store, [CHATGPT_SAMPLE])
    assert report.failures == [] and len(report.imported_ids) == 3
    by_title = {s.title: store.load_conversation(s.id) for s in store.list_conversations()}
    sourdough = by_title["Sourdough starter help"]
    assert texts(sourdough) == [
        (Role.USER, "My sourdough starter smells like nail polish remover. Is it dead?"),
        (
            Role.ASSISTANT,
            "Not dead! That acetone smell means your starter is **hungry**. Feed it and it will recover within a day.",
        ),
        (Role.USER, "How often should I feed it in a warm kitchen?"),
        (
            Role.ASSISTANT,
            "In a warm kitchen, feed it **twice a day**, about every 12 hours, at a 1:1:1 ratio.",
        ),
        (
            Role.USER,
            "[image file-Starter123 was not in the export]Here's a photo from this morning. Does it look OK?",
        ),
        (Role.ASSISTANT, "Lots of bubbles and a domed top: it looks active and ready to bake with."),
    ]
    everything = " ".join(m.plain_text for m in sourdough.messages)
    for other_branch in ("FIRST DRAFT", "throw it away", "hours = 24"):
        assert other_branch not in everything
    answer = sourdough.messages[3]
    assert answer.model == "o3" and answer.finish_reason == "stop"
    assert "Fermentation is faster above 24 °C" in answer.reasoning
    assert [m.created_at for m in sourdough.messages] == [
        1_718_000_010.0,
        1_718_000_040.0,
        1_718_000_065.0,
        1_718_000_070.0,
        1_718_000_200.0,
        1_718_000_200.0,  # no create_time: the one before it
    ]
    assert sourdough.messages[5].finish_reason == "length"
    assert (sourdough.created_at, sourdough.updated_at) == (1_718_000_000.0, 1_718_000_300.0)
    assert sourdough.model == ""  # a ChatGPT model cannot answer here

    louvre = by_title["Louvre opening hours"]  # no current_node: the newest leaf
    assert texts(louvre) == [
        (Role.SYSTEM, "You are a helpful travel agent."),
        (Role.USER, "Is the Louvre open on Tuesdays?"),
        (Role.ASSISTANT, "No, the Louvre is closed on Tuesdays."),
        (Role.USER, "And on Mondays?"),  # voice chat: the transcription is kept
        (Role.ASSISTANT, "Yes, it is open on Mondays from 9 am."),
    ]
    lighthouse = by_title["Lighthouse picture"]
    assert [m.role for m in lighthouse.messages] == [Role.USER, Role.ASSISTANT, Role.ASSISTANT]
    # Searchable right away.
    assert store.search("acetone")[0].conversation_id == sourdough.id
    # Importing it again adds nothing.
    assert import_paths(store, [CHATGPT_SAMPLE]).skipped == 3


def make_export_zip(tmp_path: Path) -> tuple[Path, bytes, bytes]:
    photo = image_bytes((180, 140, 90), (64, 48), "JPEG")
    drawing = image_bytes((20, 40, 120), (40, 30), "WEBP")
    archive = tmp_path / "chatgpt-export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(CHATGPT_SAMPLE, "conversations.json")
        zf.writestr("chat.html", "<html></html>")
        zf.writestr("user.json", "{}")
        zf.writestr("file-Starter123-starter.jpg", photo)
        zf.writestr("dalle-generations/file_00000000lighthouse-8d7e.webp", drawing)
    return archive, photo, drawing


def test_chatgpt_zip_import_brings_the_images(store: Store, tmp_path: Path) -> None:
    archive, photo, _ = make_export_zip(tmp_path)
    assert len(import_file(store, archive).imported) == 3
    by_title = {s.title: store.load_conversation(s.id) for s in store.list_conversations()}
    question = by_title["Sourdough starter help"].messages[4]
    assert isinstance(question.parts[0], ImagePart) and isinstance(question.parts[1], TextPart)
    assert question.parts[0].data == photo and question.parts[0].mime == "image/jpeg"
    assert (question.parts[0].width, question.parts[0].height) == (64, 48)
    [drawing] = by_title["Lighthouse picture"].messages[1].images
    # WebP is not accepted by the API: converted to PNG on the way in.
    assert drawing.mime == "image/png" and drawing.data.startswith(b"\x89PNG")
    assert (drawing.width, drawing.height) == (40, 30)


def test_an_unpacked_export_finds_images_beside_it(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "unpacked"
    folder.mkdir()
    shutil.copy(CHATGPT_SAMPLE, folder / "conversations.json")
    photo = image_bytes((1, 2, 3), (64, 48), "PNG")
    (folder / "file-Starter123-starter.png").write_bytes(photo)
    import_file(store, folder / "conversations.json")
    sourdough = next(s for s in store.list_conversations() if s.title.startswith("Sourdough"))
    assert store.load_conversation(sourdough.id).messages[4].images[0].data == photo


# --------------------------------------------------------------- refusals


def write(path: Path, content: object) -> Path:
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def good_then_bad_grokdesk(tmp_path: Path, store: Store) -> dict[str, object]:
    store.replace_conversation(rich_conversation("good one"))
    store.replace_conversation(rich_conversation("bad one"))
    [path] = export_conversations(store, tmp_path / "exp", "json")
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (
            lambda d: d["conversations"][1]["messages"][1].update(role="wizard"),
            "conversation 2: unknown role 'wizard'",
        ),
        (lambda d: d["conversations"][1].pop("messages"), "conversation 2"),
        (lambda d: d.update(version=7), "newer GrokDesk"),
        (lambda d: next(iter(d["images"].values())).update(data=base64.b64encode(b"xx").decode()), "damaged"),
    ],
    ids=["bad-role", "no-messages", "newer-version", "damaged-image"],
)
def test_a_malformed_grokdesk_file_is_refused_whole(
    store: Store, other_store: Store, tmp_path: Path, mutate: object, reason: str
) -> None:
    document = good_then_bad_grokdesk(tmp_path, store)
    mutate(document)  # type: ignore[operator]
    path = write(tmp_path / "bad.json", document)
    with pytest.raises(ImportFailed, match=reason):
        import_file(other_store, path)
    assert other_store.list_conversations() == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('[{"title": "x", "mapping": {', "not valid JSON"),
        ({"hello": "world"}, "neither a GrokDesk export nor a ChatGPT"),
        ([{"title": "ok", "mapping": {}}, {"title": "no tree"}], "conversation 2 has no message tree"),
        (
            [{"title": "loop", "current_node": "a", "mapping": {"a": {"parent": "b"}, "b": {"parent": "a"}}}],
            "loops back",
        ),
    ],
    ids=["truncated", "unrelated", "missing-mapping", "loop"],
)
def test_a_malformed_chatgpt_file_is_refused_with_the_reason(
    store: Store, tmp_path: Path, content: object, reason: str
) -> None:
    path = write(tmp_path / "conversations.json", content)
    report = import_paths(store, [path, CHATGPT_SAMPLE])
    assert [f.reason for f in report.failures if reason in f.reason] and len(report.failures) == 1
    assert len(report.imported_ids) == 3  # the good file still imports
    assert all(s.title != "ok" for s in store.list_conversations())


def test_a_zip_without_conversations_is_refused(store: Store, tmp_path: Path) -> None:
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.txt", "hello")
    with pytest.raises(ImportFailed, match=r"no conversations\.json"):
        import_file(store, archive)


def test_a_write_failure_mid_file_leaves_nothing_behind(store: Store, tmp_path: Path) -> None:
    small = Conversation(title="small")
    small.messages.append(Message.text(Role.USER, "fits"))
    big = Conversation(title="big")
    big.messages.append(Message.text(Role.USER, "word " * 200_000))
    source = tmp_path / "src"
    with Store.open(source) as src:
        src.replace_conversation(small)
        src.replace_conversation(big)
        [path] = export_conversations(src, tmp_path / "exp", "json")
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages + 20}")
    with pytest.raises(DiskFull):
        import_file(store, path)
    store._conn.execute("PRAGMA max_page_count = 1073741823")
    assert store.list_conversations() == []
    assert store.search("fits") == []


def test_a_zip_with_split_conversation_files_imports_them_all(store: Store, tmp_path: Path) -> None:
    sample = json.loads(CHATGPT_SAMPLE.read_text(encoding="utf-8"))
    archive = tmp_path / "split.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("export/conversations-000.json", json.dumps(sample[:1]))
        zf.writestr("export/conversations-001.json", json.dumps(sample[1:]))
    assert len(import_file(store, archive).imported) == 3
    assert sorted(s.title for s in store.list_conversations()) == [
        "Lighthouse picture",
        "Louvre opening hours",
        "Sourdough starter help",
    ]


# ---------------------------------------------------------------- versions


def branched_conversation() -> Conversation:
    """Q1 answered three times (the second answer shown, with a follow-up), Q1 also edited."""
    conv = Conversation(title="Versions", model="grok-4")
    conv.messages += [Message.text(Role.USER, "Q1"), Message.text(Role.ASSISTANT, "A1 first")]
    versions.sync(conv)
    versions.add_version(conv, 1, Message.text(Role.ASSISTANT, "A1 second"))
    conv.messages += [Message.text(Role.USER, "Q2 follow-up"), Message.text(Role.ASSISTANT, "A2")]
    versions.sync(conv)
    versions.add_version(conv, 1, Message.text(Role.ASSISTANT, "A1 third"))
    versions.add_version(conv, 0, Message.text(Role.USER, "Q1 edited"))
    versions.step(conv, conv.messages[0].id, -1)
    versions.step(conv, conv.messages[1].id, -1)
    assert texts(conv) == [
        (Role.USER, "Q1"),
        (Role.ASSISTANT, "A1 second"),
        (Role.USER, "Q2 follow-up"),
        (Role.ASSISTANT, "A2"),
    ]
    return conv


def tree(conv: Conversation) -> list[tuple[str, str | None]]:
    """Every version's text with its parent's text, in version order."""
    by_id = {m.id: m.plain_text for m in versions.all_messages(conv)}
    return [
        (m.plain_text, by_id.get(versions.parent_of(conv, m.id) or "")) for m in versions.all_messages(conv)
    ]


def test_json_export_keeps_every_version_and_the_shown_branch(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    conv = branched_conversation()
    store.replace_conversation(conv)
    [path] = export_conversations(store, tmp_path / "out", "json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert len(document["conversations"][0]["messages"]) == 7
    assert import_file(other_store, path).imported == [conv.id]
    loaded = other_store.load_conversation(conv.id)
    assert texts(loaded) == texts(conv)
    assert tree(loaded) == tree(conv)
    assert versions.position(loaded, loaded.messages[1].id) == (2, 3)
    versions.step(loaded, loaded.messages[0].id, +1)
    assert texts(loaded) == [(Role.USER, "Q1 edited")]
    # A copy gets fresh message ids in every version, the tree intact.
    document["conversations"][0]["id"] = "a-copy"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert import_file(other_store, path).imported == ["a-copy"]
    copy = other_store.load_conversation("a-copy")
    assert tree(copy) == tree(conv) and texts(copy) == texts(conv)
    assert not {m.id for m in versions.all_messages(copy)} & {m.id for m in versions.all_messages(conv)}


def test_markdown_export_holds_the_shown_branch_only(store: Store, tmp_path: Path) -> None:
    store.replace_conversation(branched_conversation())
    [path] = export_conversations(store, tmp_path / "out", "md")
    text = path.read_text(encoding="utf-8")
    assert "A1 second" in text and "A2" in text
    assert "A1 first" not in text and "A1 third" not in text and "Q1 edited" not in text


def test_a_json_export_of_the_first_format_still_imports(store: Store, tmp_path: Path) -> None:
    conv = rich_conversation()
    document = jsonformat.encode([conv])
    # The first format: no versions, messages in order.
    document["version"] = 1
    for message in document["conversations"][0]["messages"]:
        del message["parent"], message["selected"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert import_file(store, path).imported == [conv.id]
    loaded = store.load_conversation(conv.id)
    assert texts(loaded) == texts(conv)
    assert all(versions.position(loaded, m.id) == (1, 1) for m in loaded.messages)


def test_chatgpt_import_keeps_the_other_branches_as_versions(store: Store) -> None:
    import_paths(store, [CHATGPT_SAMPLE])
    by_title = {s.title: store.load_conversation(s.id) for s in store.list_conversations()}
    sourdough = by_title["Sourdough starter help"]
    answer, question = sourdough.messages[1], sourdough.messages[2]
    assert versions.position(sourdough, answer.id) == (2, 2)  # a regenerated answer
    assert versions.position(sourdough, question.id) == (2, 2)  # an edited question
    versions.step(sourdough, question.id, -1)
    assert texts(sourdough)[2:] == [(Role.USER, "How often should I feed it?")]
    versions.step(sourdough, answer.id, -1)
    assert texts(sourdough)[1:] == [
        (Role.ASSISTANT, "FIRST DRAFT: it is probably dead, start over."),
        (Role.USER, "OK, I'll throw it away."),
    ]
    louvre = by_title["Louvre opening hours"]
    versions.step(louvre, louvre.messages[2].id, -1)  # the older answer was written first
    assert texts(louvre)[2:] == [(Role.ASSISTANT, "OLDER ANSWER")]
    # The other branches are searchable too.
    assert {h.conversation_id for h in store.search("FIRST DRAFT")} == {sourdough.id}
