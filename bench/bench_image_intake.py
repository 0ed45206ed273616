"""Image intake: twenty 9 MiB photos dropped on a tab at once.

Twenty distinct 12-megapixel JPEGs of about 9 MiB (noise over a gradient, so they compress
like photos) are made once with Pillow in bench/out/photos. In one process (offscreen
QApplication + qasync, the real main window), `ConversationTab.attach_paths(paths)` (what a
drop of files ends in) is called with all twenty:
  image_intake.max_stall: the longest event-loop stall (5 ms timer) until every chip is ready;
  image_intake.all_ready: from the call to the task's end (every image attached or refused)
      and the next paint of the window.
When the attachments UI is not there, prints "not available yet" and exits 0.

    python bench/bench_image_intake.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import io
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C

PHOTOS = 20
TARGET_BYTES = 9 * 2**20
SIZE = (4000, 3000)
STALL_MS = 33.0  # one frame at 30 Hz


def make_photos(folder: Path) -> list[Path]:
    paths = [folder / f"photo-{i:02d}.jpg" for i in range(PHOTOS)]
    if (folder / "bench-ready").exists():
        return paths
    from PIL import Image, ImageDraw

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    noise = Image.merge("RGB", [Image.effect_noise(SIZE, s) for s in (70, 60, 50)])
    base = Image.blend(noise, Image.linear_gradient("L").resize(SIZE).convert("RGB"), 0.3)
    quality = 90
    for q in range(90, 99):  # the quality whose size is closest to 9 MiB
        buf = io.BytesIO()
        base.save(buf, "JPEG", quality=q)
        quality = q
        if buf.tell() >= TARGET_BYTES:
            break
    for i, path in enumerate(paths):
        image = base.copy()
        ImageDraw.Draw(image).rectangle(
            (i * 150, i * 100, i * 150 + 300, i * 100 + 200), fill=(i * 12, 80, 200)
        )
        image.save(path, "JPEG", quality=quality)
    (folder / "bench-ready").write_text(f"{PHOTOS} photos {SIZE} quality {quality}\n")
    return paths


async def bench(rounds: int, paths: list[Path]) -> None:
    from grokdesk.app import create_main_window

    data_dir = C.OUT / "intake_data"
    shutil.rmtree(data_dir, ignore_errors=True)
    window = create_main_window(data_dir=data_dir, base_url="http://127.0.0.1:9/v1", api_key=C.FAKE_KEY)
    window.resize(1000, 720)
    window.show()
    await C.until(lambda: window._painted, 30)
    await asyncio.sleep(0.5)
    stalls: list[float] = []
    ready: list[float] = []
    attached: list[int] = []
    stall_stacks: collections.Counter[str] = collections.Counter()
    for i in range(rounds + 1):
        tab: Any = window.new_conversation()
        tab.select_model("grok-2-vision-1212")  # a model that takes images
        await asyncio.sleep(0.2)
        paints = C.PaintWatch(window)
        probe = C.StallProbe().start()
        sampler = C.StallSampler(probe).start()
        t0 = time.perf_counter()
        task = tab.attach_paths([str(p) for p in paths])
        await task
        done = time.perf_counter()
        await C.until(lambda d=done, p=paints: p.first_after(d) is not None, 10)
        probe.stop()
        sampler.stop()
        if i > 0:
            stall_stacks.update(sampler.samples)  # the first round warms the page cache and the reader pool
            stalls.append(probe.max_ms)
            ready.append((paints.first_after(done) or done) - t0)
            attached.append(len(tab.draft_attachments()))
        window.close_tab(window.tabs.indexOf(tab))
        await asyncio.sleep(0.3)
    window.close()
    await window.shutdown_all()
    sizes = sorted(p.stat().st_size for p in paths)
    note = f"{PHOTOS} JPEGs {SIZE[0]}x{SIZE[1]}, {sizes[0] / 2**20:.1f}-{sizes[-1] / 2**20:.1f} MiB; attached {attached}"
    C.report("image_intake.max_stall", stalls, unit=" ms", target=STALL_MS, op="<", note=note)
    total = sum(stall_stacks.values()) or 1
    print(
        "# where the GUI thread was during stalls over 30 ms (share of ~5 ms samples): "
        + "; ".join(f"{k} {100 * v / total:.0f}%" for k, v in stall_stacks.most_common(6)),
        flush=True,
    )
    C.report(
        "image_intake.all_ready",
        [C.ms(x) for x in ready],
        unit=" ms",
        note="attach_paths to every chip ready and painted",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    C.setup_env()
    C.banner("bench_image_intake")
    from grokdesk.ui.chat.tab import ConversationTab

    if not hasattr(ConversationTab, "attach_paths"):
        C.not_available("image_intake", "ConversationTab.attach_paths does not exist yet")
        return
    t = time.perf_counter()
    paths = make_photos(C.OUT / "photos")
    print(
        f"# photos ready in {time.perf_counter() - t:.1f} s: {(C.OUT / 'photos' / 'bench-ready').read_text().strip()}"
    )
    C.run_in_qasync(lambda: bench(args.rounds, paths))


if __name__ == "__main__":
    main()
