"""Why a connection failed, in one sentence a person understands: the same words for the same
cause whether httpx (crawl/net.py) or Chromium (crawl/browser.py) met it.

An operating system says `[Errno -2] Name or service not known`, Chromium says
`net::ERR_NAME_NOT_RESOLVED`; the user should read "could not find mastodon.social (no network or
DNS)" from both. `classify` finds the cause in an exception (walking the exceptions it was raised
from, since httpx wraps httpcore, which wraps the socket's), or in the text of a message when all
there is is text (Chromium's errors, the browser proxy's log). `explain` turns a cause into the
sentence and a hint of what to do.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
from collections.abc import Iterator
from enum import Enum

import httpcore
import httpx


class Cause(Enum):
    """What went wrong on the way to a host."""

    NOT_FOUND = "not_found"  # the name has no address: no network, no DNS, or a wrong name
    REFUSED = "refused"  # nothing accepts connections at that address and port
    UNREACHABLE = "unreachable"  # no way to the address (no route, the network is down)
    TIMEOUT = "timeout"  # no answer in time
    CERTIFICATE = "certificate"  # the certificate is not one we trust
    TLS = "tls"  # the secure connection could not be set up for another reason
    RESET = "reset"  # the connection was cut off before the answer was complete
    REDIRECTS = "redirects"  # sent on from address to address, too many times
    TOO_LARGE = "too_large"  # more bytes than faceaudit reads
    TOO_SLOW = "too_slow"  # the answer kept coming, too slowly to finish within the request's time cap
    OTHER = "other"  # none of these: the error's own words, cleaned of errno codes


_CONNECTION_HINT = "check your connection, or whether the site is up."

# cause: (sentence with a detail, sentence without one, hint). {where} is the host (or URL);
# {detail} is what the cause needs: a time, a count, the certificate's problem, the error's words.
_WORDS: dict[Cause, tuple[str, str, str]] = {
    Cause.NOT_FOUND: ("could not find {where} ({detail})", "could not find {where} (no network or DNS)",
                      "check the address, and that this computer is online."),
    Cause.REFUSED: ("{where} refused the connection ({detail})", "{where} refused the connection", _CONNECTION_HINT),
    Cause.UNREACHABLE: ("could not connect to {where}: {detail}", "could not connect to {where}", _CONNECTION_HINT),
    Cause.TIMEOUT: ("{where} did not answer within {detail}", "{where} did not answer in time",
                    "the server is slow or unreachable; try again later."),
    Cause.CERTIFICATE: ("the certificate of {where} is not trusted ({detail})", "the certificate of {where} is not trusted",
                        "for a local test server pass its certificate with --ca-cert."),
    Cause.TLS: ("could not set up a secure connection to {where} ({detail})",
                "could not set up a secure connection to {where}",
                "the site's https may be misconfigured; try the address in a browser."),
    Cause.RESET: ("{where} closed the connection before answering ({detail})",
                  "{where} closed the connection before answering", "try again later."),
    Cause.REDIRECTS: ("{where} redirected more than {detail} times", "{where} redirected too many times",
                      "the site may be sending visitors in a loop; try the address in a browser."),
    Cause.TOO_LARGE: ("{where} is too large (over {detail})", "{where} is too large",
                      "faceaudit caps downloads so one file cannot fill memory or disk."),
    Cause.TOO_SLOW: ("{where} took longer than {detail}", "{where} took too long",
                     "the server is very slow; try again later."),
    Cause.OTHER: ("the connection to {where} failed: {detail}", "the connection to {where} failed", "try again later."),
}


def explain(cause: Cause, where: str, detail: str = "") -> tuple[str, str]:
    """(The sentence, the hint) for `cause` at `where` (a host, or a URL)."""
    with_detail, without, hint = _WORDS[cause]
    return (with_detail if detail else without).format(where=where, detail=detail), hint


def seconds(value: float) -> str:
    """A timeout as the user set it: "20 s", "0.5 s"."""
    return f"{value:g} s"


# Chromium's net error names (net/base/net_error_list.h) and the operating systems' own words,
# as they appear in messages. Checked in order: the first match decides.
_TEXT: tuple[tuple[re.Pattern[str], Cause], ...] = tuple((re.compile(pattern, re.IGNORECASE), cause) for pattern, cause in (
    (r"ERR_NAME_NOT_RESOLVED|ERR_NAME_RESOLUTION_FAILED|ERR_INTERNET_DISCONNECTED"
     r"|Name or service not known|nodename nor servname|getaddrinfo failed|No address associated"
     r"|Temporary failure in name resolution|Name does not resolve", Cause.NOT_FOUND),
    (r"ERR_CONNECTION_REFUSED|Connection refused|actively refused", Cause.REFUSED),
    (r"ERR_ADDRESS_UNREACHABLE|ERR_NETWORK_CHANGED|ERR_CONNECTION_FAILED|Network is unreachable"
     r"|No route to host|Host is unreachable", Cause.UNREACHABLE),
    (r"ERR_CERT_|CERTIFICATE_VERIFY_FAILED", Cause.CERTIFICATE),
    (r"ERR_SSL_|ERR_BAD_SSL|SSL(?:V3)?_|TLSV1_", Cause.TLS),
    (r"ERR_TIMED_OUT|ERR_CONNECTION_TIMED_OUT|Timeout \d+ms exceeded|timed out", Cause.TIMEOUT),
    (r"ERR_CONNECTION_RESET|ERR_CONNECTION_CLOSED|ERR_CONNECTION_ABORTED|ERR_EMPTY_RESPONSE"
     r"|Connection reset|Connection aborted|Broken pipe|Server disconnected", Cause.RESET),
    (r"ERR_TOO_MANY_REDIRECTS", Cause.REDIRECTS),
    (r"ERR_FILE_TOO_BIG|ERR_RESPONSE_HEADERS_TOO_BIG", Cause.TOO_LARGE),
))

# What Chromium says about a certificate, as a person would say it.
_CHROMIUM_CERTIFICATE = {
    "ERR_CERT_AUTHORITY_INVALID": "issued by an unknown authority",
    "ERR_CERT_DATE_INVALID": "expired, or not valid yet",
    "ERR_CERT_COMMON_NAME_INVALID": "issued for another name",
    "ERR_CERT_REVOKED": "revoked",
    "ERR_CERT_WEAK_KEY": "its key is too weak",
}

_ERRNO = re.compile(r"\[(?:Errno|WinError) -?\d+\]\s*")


def classify(error: BaseException | str) -> tuple[Cause, str]:
    """(The cause of `error`, a detail for its sentence): the certificate's problem for
    CERTIFICATE and TLS, the error's own words (cleaned) for OTHER and UNREACHABLE, else "".

    Exception types decide first, from the outermost to the socket's own error: they are the
    same on every operating system, where the words are not. Text is the fallback."""
    fallback, words = Cause.OTHER, without_errno(str(error))
    if isinstance(error, BaseException):
        chain = list(_chain(error))
        for exc in chain:
            found = _by_type(exc)
            if found is not None:
                return found
        text = " ".join(str(exc) for exc in chain)
        if any(isinstance(exc, (httpx.ConnectError, httpcore.ConnectError)) for exc in chain):
            fallback = Cause.UNREACHABLE  # no connection was made, for a reason the error does not name
        words = words or type(error).__name__
    else:
        text = error
    for pattern, cause in _TEXT:
        if pattern.search(text):
            return cause, _certificate_words(text) if cause is Cause.CERTIFICATE else ""
    return fallback, words


def without_errno(text: str) -> str:
    """An error's own words without the errno codes and call logs a person cannot use."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return _ERRNO.sub("", first).strip()


def _by_type(exc: BaseException) -> tuple[Cause, str] | None:
    """The cause an exception's type names, or None when its type says nothing certain."""
    if isinstance(exc, socket.gaierror):
        return Cause.NOT_FOUND, ""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Cause.CERTIFICATE, str(exc.verify_message or "").strip()
    if isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLZeroReturnError):
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):
            return Cause.CERTIFICATE, ""
        return Cause.TLS, str(exc.reason or "").lower().replace("_", " ")
    if isinstance(exc, ConnectionRefusedError):
        return Cause.REFUSED, ""
    if isinstance(exc, (TimeoutError, httpx.TimeoutException, httpcore.TimeoutException)):
        return Cause.TIMEOUT, ""
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, ssl.SSLZeroReturnError,
                        httpx.RemoteProtocolError, httpcore.RemoteProtocolError)):
        return Cause.RESET, ""
    if isinstance(exc, httpx.TooManyRedirects):
        return Cause.REDIRECTS, ""
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE_ERRNOS:
        return Cause.UNREACHABLE, ""
    return None


_UNREACHABLE_ERRNOS = frozenset(getattr(errno, name) for name in ("ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "EHOSTDOWN")
                                if hasattr(errno, name))


def _chain(error: BaseException) -> Iterator[BaseException]:
    """`error` and the exceptions it was raised from or while handling, each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _certificate_words(text: str) -> str:
    """What is wrong with a certificate, from Chromium's error name or OpenSSL's message."""
    for name, words in _CHROMIUM_CERTIFICATE.items():
        if name in text:
            return words
    found = re.search(r"certificate verify failed: ([^()\n]+)", text)
    return found[1].strip() if found else ""
