"""Tasks are kept until they end, and an owner winds its own down by kind: reads are
cancelled, writes run to their end (no Qt needed: plain asyncio)."""

from __future__ import annotations

import asyncio
import gc

from grokdesk.ui.asynctasks import Kind, Tasks, spawn


def test_a_task_nobody_holds_still_runs_to_its_end() -> None:
    done: list[str] = []

    async def work() -> None:
        await asyncio.sleep(0)
        done.append("x")

    async def main() -> None:
        spawn(work())  # the result is dropped on purpose
        gc.collect()
        for _ in range(5):
            await asyncio.sleep(0)

    asyncio.run(main())
    assert done == ["x"]


def test_wind_down_cancels_reads_and_awaits_writes() -> None:
    log: list[str] = []

    async def read() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            log.append("read cancelled")
            raise

    async def write(gate: asyncio.Event) -> None:
        await gate.wait()
        log.append("write finished")

    async def main() -> int:
        tasks = Tasks()
        gate = asyncio.Event()
        tasks.spawn(read(), kind=Kind.READ, name="refresh")
        tasks.spawn(write(gate), kind=Kind.WRITE, name="refresh")  # names play no part
        await asyncio.sleep(0)
        asyncio.get_running_loop().call_soon(gate.set)
        await tasks.wind_down()
        return len(tasks)

    assert asyncio.run(main()) == 0
    assert sorted(log) == ["read cancelled", "write finished"]
