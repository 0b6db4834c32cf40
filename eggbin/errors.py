"""The one exception tree. Only the CLI boundary turns these into a message and an exit code."""

from __future__ import annotations


class EggbinError(Exception):
    """A failure the user can act on: printed as one line, never as a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class UsageError(EggbinError):
    """The command line itself is wrong."""

    exit_code = 2


class NotAnAppError(EggbinError):
    """The base directory holds no eggbin app."""


class TargetNotEmptyError(EggbinError):
    """`eggbin init` would write into a directory that already has files."""


class TemplateError(EggbinError):
    """A scaffold template is missing or failed to render."""


class BootError(EggbinError):
    """The app, its config or one of its plugins failed to load; `code` names the kind (`EGG_...`)."""

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code

    def __str__(self) -> str:
        text = super().__str__()
        return f"[{self.code}] {text}" if self.code else text


class ClusterStartError(EggbinError):
    """The master or one of its children died or timed out before `egg-ready`."""


class NotAvailableYet(EggbinError):
    """A command whose capability has not landed yet: says so plainly instead of pretending."""

    def __init__(self, command: str) -> None:
        super().__init__(
            f"`{command}` is not available yet in eggbin {_version()}",
            hint="see CHANGELOG.md for what has landed",
        )


def _version() -> str:
    from eggbin import __version__

    return __version__


class ToolchainMissingError(EggbinError):
    """An `eggbin` command needs the development toolchain, which a production install leaves out."""
