"""Write a benchmark's printed figures into the README between its markers, so the README's
figures are the script's own output, never copied by hand (``--record README.md``)."""
from __future__ import annotations

import platform
from pathlib import Path

from inpaintkit.reports import paste_block
from inpaintkit.storage import atomic_write_text


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def check(readme: Path | None, name: str) -> None:
    """Fail before a long run, not after it, when the README lacks the markers."""
    if readme is not None:
        paste_block(Path(readme).read_text(), "", *markers(name))


def record(readme: Path | None, name: str, command: str, lines: list[str]) -> None:
    if readme is None:
        return
    import os

    machine = f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}"
    block = f"`{command}` ({machine}):\n\n```\n" + "\n".join(lines) + "\n```\n"
    readme = Path(readme)
    atomic_write_text(readme, paste_block(readme.read_text(), block, *markers(name)))
    print(f"figures written into {readme}")
