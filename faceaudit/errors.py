"""The one exception tree: each error says what happened, what to do, and its exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # unexpected: a bug in faceaudit
    USAGE = 2  # bad arguments or input files
    CONSENT = 3  # consent missing, outdated or refused
    ENROLMENT = 4  # reference photos refused, or no template yet
    IMAGE = 5  # an image could not be decoded safely
    NETWORK = 6  # fetch failed or was refused by the network policy
    ENGINE = 7  # face engine or model pack unavailable
    BROWSER = 8  # no usable Chromium
    WORKSPACE = 9  # workspace unreadable, locked or damaged
    NOTHING_SEEN = 10  # a scan ran, but not one listed account could be seen: nothing was checked
    INTERRUPTED = 130


class FaceauditError(Exception):
    """Base class. `ref` is a short stable reference a user can search for. `details` are the
    lines under the message when one error has several parts (every refused photo of an
    enrolment, say), shown one per line."""

    exit_code: ExitCode = ExitCode.ERROR
    ref: str = "error"

    def __init__(self, message: str, hint: str = "", details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details


class UsageError(FaceauditError):
    exit_code = ExitCode.USAGE
    ref = "usage"


class ConsentRequired(FaceauditError):
    exit_code = ExitCode.CONSENT
    ref = "consent-required"


class EnrolmentRefused(FaceauditError):
    exit_code = ExitCode.ENROLMENT
    ref = "enrolment-refused"


class NotEnrolled(FaceauditError):
    exit_code = ExitCode.ENROLMENT
    ref = "not-enrolled"


class TemplateExists(FaceauditError):
    """An enrolment that would replace the workspace's template without being told to: another
    person's photos must never silently take the place of the user's own."""

    exit_code = ExitCode.ENROLMENT
    ref = "template-exists"


class ImageRejected(FaceauditError):
    """An image we will not decode: unknown format, too large, truncated, corrupt."""

    exit_code = ExitCode.IMAGE
    ref = "image-rejected"


class NetworkError(FaceauditError):
    exit_code = ExitCode.NETWORK
    ref = "network"


class OutOfScope(NetworkError):
    """A URL the network policy refuses: private address, other account, bad scheme.

    `url` is the refused address when there is one (a redirect target, say), so an adapter can
    tell a login wall (a redirect to /login outside the account) from other refusals.
    """

    ref = "out-of-scope"

    def __init__(self, message: str, hint: str = "", *, url: str = "") -> None:
        super().__init__(message, hint)
        self.url = url


class EngineUnavailable(FaceauditError):
    exit_code = ExitCode.ENGINE
    ref = "engine-unavailable"


class BrowserUnavailable(FaceauditError):
    exit_code = ExitCode.BROWSER
    ref = "browser-unavailable"


class WorkspaceError(FaceauditError):
    exit_code = ExitCode.WORKSPACE
    ref = "workspace"


class NothingSeen(FaceauditError):
    """A scan that could see none of the listed accounts: its report cannot say anything."""

    exit_code = ExitCode.NOTHING_SEEN
    ref = "nothing-seen"
