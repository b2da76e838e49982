"""What a program did for one input: its output, or how it failed."""
from __future__ import annotations

import re
from dataclasses import dataclass

# Raw escape codes, and their escaped form as it appears in an exception repr.
_ANSI = re.compile(r"(?:\x1b|\\x1b|\\033)\[[0-9;]*[A-Za-z]")
# Addresses, temp paths and long numbers differ between runs; they must not split failure kinds.
_VOLATILE = re.compile(r"0x[0-9a-fA-F]+|/tmp/[^\s'\"]+")  # a temporary path, not the quote around it


def clean_message(message: str, limit: int = 300) -> str:
    """Strip ANSI codes and volatile details and cap the length of a failure message."""
    text = _VOLATILE.sub("<...>", _ANSI.sub("", message))
    text = " ".join(text.split())
    return text[:limit]


@dataclass(frozen=True)
class Behaviour:
    """The outcome of one program run: `output` when it succeeded, else `failure` (a kind)."""

    output: str | None = None
    failure: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.failure is None

    @classmethod
    def success(cls, output: str) -> "Behaviour":
        return cls(output=output)

    @classmethod
    def failed(cls, kind: str, message: str = "") -> "Behaviour":
        return cls(failure=kind, message=clean_message(message))

    def to_json(self) -> dict:
        if self.ok:
            return {"output": self.output}
        return {"failure": self.failure, "message": self.message}

    @classmethod
    def from_json(cls, data: dict) -> "Behaviour":
        if "failure" in data:
            return cls(failure=data["failure"], message=data.get("message", ""))
        return cls(output=data["output"])

    def __str__(self) -> str:
        if self.ok:
            return str(self.output)
        return f"<failure {self.failure}: {self.message}>" if self.message else f"<failure {self.failure}>"
