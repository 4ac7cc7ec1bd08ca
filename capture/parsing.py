"""Turn the raw bytes of an email into a ParsedMessage (issue 17, "Understanding a message").

Pure: the standard library's `email` package with `policy.default`, `inscriptis` for HTML
bodies, no ORM, no settings, no clock. The only Django import is gettext, so that refusal
reasons, warnings and attachment notes are sentences in the active language; callers that
store them for a user wrap the call in `translation.override(...)`.

`parse_message` raises MessageRefused and nothing else, whatever the bytes are: every rule
below is guarded, and anything the standard library trips over becomes a refusal with a
generic reason instead of an exception in the worker.
"""

from __future__ import annotations

import codecs
import contextlib
import html
import logging
import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email import headerregistry, policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from django.utils.translation import gettext as _
from inscriptis import get_text as html_to_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

MAX_DEPTH = 10
MAX_PARTS = 200
MAX_RECIPIENTS = 100

# Archives cannot be inspected and programs must never be handed back to a browser: both are
# recorded (name, type, size) but their bytes are not kept, whatever their size.
_ARCHIVE_EXTENSIONS = frozenset(
    [
        ".zip",
        ".rar",
        ".7z",
        ".tar",
        ".gz",
        ".tgz",
        ".bz2",
        ".xz",
        ".z",
        ".cab",
        ".arj",
        ".lz",
        ".lzh",
        ".zst",
        ".iso",
        ".jar",
    ]
)
_ARCHIVE_TYPES = frozenset(
    [
        "application/zip",
        "application/x-zip-compressed",
        "application/x-rar-compressed",
        "application/vnd.rar",
        "application/x-7z-compressed",
        "application/x-tar",
        "application/gzip",
        "application/x-gzip",
        "application/x-bzip2",
        "application/x-xz",
        "application/java-archive",
        "application/x-iso9660-image",
        "application/zstd",
    ]
)
_PROGRAM_EXTENSIONS = frozenset(
    [
        ".exe",
        ".com",
        ".bat",
        ".cmd",
        ".scr",
        ".pif",
        ".msi",
        ".msp",
        ".dll",
        ".cpl",
        ".vbs",
        ".vbe",
        ".js",
        ".jse",
        ".wsf",
        ".wsh",
        ".ps1",
        ".psm1",
        ".hta",
        ".lnk",
        ".reg",
        ".sh",
        ".app",
        ".apk",
        ".dmg",
        ".pkg",
        ".deb",
        ".rpm",
        ".elf",
        ".bin",
        ".run",
    ]
)
_PROGRAM_TYPES = frozenset(
    [
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/x-executable",
        "application/x-dosexec",
        "application/x-sh",
        "application/x-msi",
        "application/x-ms-installer",
        "application/vnd.microsoft.portable-executable",
        "application/x-elf",
        "application/vnd.android.package-archive",
        "application/x-apple-diskimage",
        "application/javascript",
        "text/javascript",
        "application/x-javascript",
    ]
)
# Magic numbers, so that a renamed archive or program is caught too.
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b")
_PROGRAM_MAGIC = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")

_CALENDAR_TYPES = frozenset(("text/calendar", "application/ics", "text/x-vcalendar"))
_SINGLE_BYTE_CHARSETS = frozenset(("ascii", "iso8859-1", "cp1252", "iso8859-15"))

logger = logging.getLogger(__name__)

_MSG_ID_RE = re.compile(r"<([^<>\s]+)>")
_MAX_ID_LENGTH = 998  # the RFC 5322 line limit
_MAX_REFERENCES = 100
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MANY_BLANKS_RE = re.compile(r"\n{3,}")
# The "strict" profile does not indent nested <div>s (mail clients nest them deeply) and
# does not pad inline elements, so addresses stay "<a@b>" rather than "< a@b >".
_HTML_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_links=False, display_images=False)


class MessageRefused(Exception):
    """The raw bytes cannot be taken; .reason is a translatable, user-facing sentence."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Address:
    name: str
    email: str  # lower-cased, stripped; "" never appears (invalid ones are dropped)


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    size: int  # bytes of the decoded payload
    content: bytes | None  # None when not kept (over max_attachment_bytes, or a refused type)
    note: str  # "" or why it was not kept


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str  # without <>; "" when missing
    in_reply_to: str  # without <>; ""
    references: tuple[str, ...]  # without <>
    subject: str
    sender: Address | None  # From
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    sent_at: datetime | None  # aware (Date header), None when missing/unreadable
    text: str  # the whole body as clean plain text (HTML converted, scripts gone)
    summary_text: str  # text without quoted history and signature
    attachments: tuple[ParsedAttachment, ...]
    calendars: tuple[str, ...]  # decoded text/calendar parts (inline or attached .ics)
    forwarded: ParsedMessage | None  # the original when this message forwards one
    warnings: tuple[str, ...]  # e.g. charset fallback used, attachment dropped


def thread_key(message: ParsedMessage) -> str:
    """The root of the thread: the first Reference, else In-Reply-To, else the message's own id."""
    if message.references:
        return message.references[0]
    return message.in_reply_to or message.message_id


def parse_message(raw: bytes, *, max_attachment_bytes: int = 10 * 1024 * 1024) -> ParsedMessage:
    """Parse raw RFC 5322 bytes; raise MessageRefused (with a reason) for what is not an email."""
    try:
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        raw = bytes(raw)
        if not raw.strip():
            raise MessageRefused(_("The file is empty."))
        _precheck(raw)
        try:
            return _parse(raw, _reading_policy(), max_attachment_bytes=max_attachment_bytes)
        except (MessageRefused, RecursionError):
            raise
        except Exception:
            # policy.default's header parser still has crashes on some malformed headers
            # (an IndexError on a Content-Type ending in ";" and junk, for one). The compat32
            # policy reads headers as plain strings and gets through them.
            logger.info("capture: policy.default failed, reading the message with compat32")
        return _parse(raw, policy.compat32, max_attachment_bytes=max_attachment_bytes)
    except MessageRefused:
        raise
    except RecursionError:
        raise MessageRefused(too_deep_reason()) from None
    except Exception:
        # A bug in the standard library's parser or ours must not crash the worker on one
        # message: the raw bytes are kept by the caller, the user sees a reason, we see the log.
        logger.warning("capture: the parser failed on a message", exc_info=True)
        raise MessageRefused(_("The message could not be read as an email.")) from None


class _HeaderCache(headerregistry.HeaderRegistry):
    """policy.default parses a header each time it is read, and the walk reads Content-Type
    (and Content-Disposition) of a part several times: a third of the parsing time. Header
    objects are immutable, so one message's reads share them."""

    def __init__(self):
        super().__init__()
        self._parsed: dict[tuple[str, str], headerregistry.BaseHeader] = {}

    def __call__(self, name, value):
        key = (name.lower(), value)
        found = self._parsed.get(key)
        if found is None:
            found = self._parsed[key] = super().__call__(name, value)
        return found


def _reading_policy():
    """policy.default with a header cache of its own (one per message: nothing outlives it)."""
    return policy.default.clone(header_factory=_HeaderCache())


def _parse(raw: bytes, parse_policy, *, max_attachment_bytes: int) -> ParsedMessage:
    message = BytesParser(policy=parse_policy).parsebytes(raw)
    _require_email(message)
    builder = _Builder(
        max_attachment_bytes=max_attachment_bytes, lenient=parse_policy is policy.compat32
    )
    return builder.build(message, depth=0)


def too_many_recipients_reason() -> str:
    return _("The message has more than %(limit)d recipients in To and Cc.") % {
        "limit": MAX_RECIPIENTS
    }


def too_many_parts_reason() -> str:
    return _("The message has more than %(limit)d parts.") % {"limit": MAX_PARTS}


def too_deep_reason() -> str:
    return _("The message is nested more than %(limit)d levels deep.") % {"limit": MAX_DEPTH}


def _precheck(raw: bytes) -> None:
    """Cheap refusals before the parser spends time on a bomb."""
    lowered = raw.lower()
    # Every multipart needs a boundary; far more boundaries than allowed parts is a bomb, and
    # refusing here keeps the recursive parser away from thousands of nesting levels.
    if lowered.count(b"boundary=") > MAX_PARTS:
        raise MessageRefused(too_many_parts_reason())
    blank_line = re.search(rb"\r?\n\r?\n", lowered)
    header_block = lowered[: blank_line.start() + 1] if blank_line else lowered
    at_signs = 0
    for match in re.finditer(rb"(?m)^(to|cc):(.*(?:\r?\n[ \t].*)*)", header_block):
        at_signs += match.group(2).count(b"@")
    # Display names may contain "@" too, so only a count far over the limit refuses here; the
    # exact count on parsed addresses follows.
    if at_signs > 2 * MAX_RECIPIENTS:
        raise MessageRefused(too_many_recipients_reason())


def _require_email(message: Message) -> None:
    if not message.keys():
        raise MessageRefused(_("This file is not an email: it has no header lines."))
    has_sender = bool(_addresses(message, "from", warnings=[]))
    has_id = bool(_message_id(_header_text(message, "message-id")))
    if not has_sender and not has_id:
        raise MessageRefused(
            _("This file is not an email: it has neither a sender (From) nor a Message-ID.")
        )


# Headers -----------------------------------------------------------------------------------


def _unsurrogate(text: str) -> str:
    """Raw 8-bit bytes in a header come back as surrogates; decode them like a body."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    data = text.encode("utf-8", "surrogateescape")
    return _decode_bytes(data, "", warnings=[])


def _raw_header_values(message: Message, name: str) -> list[str]:
    values = []
    for key, value in message.raw_items():
        if key.lower() == name:
            values.append(" ".join(_unsurrogate(str(value)).split()))
    return values


def _decode_words(value: str) -> str:
    """RFC 2047 encoded words, each chunk decoded as robustly as a body."""
    if "=?" not in value:
        return value
    try:
        chunks = decode_header(value)
    except Exception:
        return value
    decoded = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            decoded.append(chunk)
        elif charset is None:
            # decode_header hands unencoded text back as raw-unicode-escape bytes.
            decoded.append(chunk.decode("raw-unicode-escape", "replace"))
        else:
            decoded.append(_decode_bytes(chunk, charset, warnings=[]))
    return "".join(decoded)


def _header_texts(message: Message, name: str) -> list[str]:
    return [_clean_line(_decode_words(value)) for value in _raw_header_values(message, name)]


def _header_text(message: Message, name: str) -> str:
    values = _header_texts(message, name)
    return values[0] if values else ""


def _clean_line(text: str) -> str:
    return " ".join(_CONTROL_RE.sub(" ", text).split())


def _message_id(value: str) -> str:
    match = _MSG_ID_RE.search(value)
    value = match.group(1) if match else value.strip().strip("<>").strip()
    return value if value and " " not in value and len(value) <= _MAX_ID_LENGTH else ""


def _references(value: str) -> tuple[str, ...]:
    ids = _MSG_ID_RE.findall(value) or [part.strip("<>") for part in value.split()]
    seen: dict[str, None] = {}
    for message_id in ids:
        if message_id and len(message_id) <= _MAX_ID_LENGTH:
            seen.setdefault(message_id, None)
    unique = tuple(seen)
    # The root and the latest ancestors are what threading needs.
    return unique if len(unique) <= _MAX_REFERENCES else unique[:1] + unique[1 - _MAX_REFERENCES :]


def _valid_email(email: str) -> bool:
    local, at, domain = email.rpartition("@")
    return bool(
        at
        and local
        and "." in domain
        and not domain.startswith(".")
        and not domain.endswith(".")
        and not any(char.isspace() or char in "<>,;\"'()[]\\" for char in email)
    )


def _parse_addresses(value: str) -> list[Address]:
    # Outlook writes "Name [mailto:a@b]" and separates with ";".
    value = re.sub(r"\[mailto:([^\]]+)\]", r"<\1>", value).replace(";", ",")
    addresses: list[Address] = []
    for name, email in getaddresses([value]):
        email = email.strip().lower()
        if _valid_email(email):
            addresses.append(Address(name=_clean_line(_decode_words(name)), email=email))
    return addresses


def _addresses(message: Message, name: str, *, warnings: list[str]) -> list[Address]:
    values = _raw_header_values(message, name)
    if name == "from":
        if len(values) > 1:
            warnings.append(_("The message has several From headers; the first one was used."))
        values = values[:1]
    addresses = []
    for value in values:
        parsed = _parse_addresses(value)
        if not parsed and "@" in value:
            warnings.append(_("Some addresses could not be read and were left out."))
        addresses.extend(parsed)
    return addresses


def _unique(addresses: list[Address]) -> tuple[Address, ...]:
    seen: dict[str, Address] = {}
    for address in addresses:
        seen.setdefault(address.email, address)
    return tuple(seen.values())


def _date(value: str, *, warnings: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        sent_at = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        warnings.append(_("The Date header could not be read."))
        return None
    if sent_at.tzinfo is None:
        # RFC 5322 "-0000": the time is UTC, the sender's zone unknown.
        sent_at = sent_at.replace(tzinfo=UTC)
    return sent_at


# Bodies ------------------------------------------------------------------------------------


def _codec_name(charset: str) -> str:
    try:
        return codecs.lookup(charset).name
    except (LookupError, TypeError, ValueError):
        return ""


def _decode_bytes(data: bytes, declared: str, *, warnings: list[str]) -> str:
    """Declared charset, then UTF-8, then Windows-1252, then Latin-1 (which never fails).

    Mail from Brazil often says iso-8859-1 while it holds Windows-1252 (“ ” – €), says utf-8
    while it holds Latin-1, or says nothing; each fallback leaves a warning."""
    codec = _codec_name(declared) if declared else ""
    if data.isascii() and codec in ("", "utf-8", *_SINGLE_BYTE_CHARSETS):
        return data.decode("ascii")
    label = declared[:40] or _("no charset")
    if codec in _SINGLE_BYTE_CHARSETS:
        # Valid UTF-8 with multi-byte sequences is almost never Latin-1 by chance.
        text = _try(data, "utf-8")
        if text is not None:
            warnings.append(_charset_warning(label, "utf-8"))
            return text
        if codec in ("iso8859-1", "ascii"):
            # WHATWG reads the iso-8859-1 label as windows-1252; so do we.
            text = _try(data, "cp1252")
            if text is not None:
                if codec == "ascii" or re.search(rb"[\x80-\x9f]", data):
                    warnings.append(_charset_warning(label, "windows-1252"))
                return text
    if codec:
        text = _try(data, codec)
        if text is not None:
            return text
    for fallback, shown in (("utf-8", "utf-8"), ("cp1252", "windows-1252")):
        if fallback == codec:
            continue
        text = _try(data, fallback)
        if text is not None:
            warnings.append(_charset_warning(label, shown))
            return text
    warnings.append(_charset_warning(label, "iso-8859-1"))
    return data.decode("latin-1")


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError, ValueError, TypeError):
        # LookupError too for codecs that are not text encodings ("base64", "rot13").
        return None


def _charset_warning(declared: str, used: str) -> str:
    return _("Text declared as %(declared)s was read as %(used)s.") % {
        "declared": declared,
        "used": used,
    }


def _normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = _CONTROL_RE.sub("", unicodedata.normalize("NFC", text))
    lines = [line.rstrip() for line in text.split("\n")]
    return _MANY_BLANKS_RE.sub("\n\n", "\n".join(lines)).strip()


_SCRIPT_RE = re.compile(r"(?is)<(script|style|head|template)\b.*?(</\1\s*>|\Z)")
_TAG_RE = re.compile(r"(?s)<[^>]*>")
_BLOCK_END_RE = re.compile(r"(?i)<(?:br|/p|/div|/tr|/li|/h[1-6]|/table|/blockquote)\b[^>]*>")
_HTML_LAYOUT_LIMIT = 512 * 1024  # characters


def _html_text(markup: str, *, warnings: list[str]) -> str:
    if len(markup) > _HTML_LAYOUT_LIMIT:
        # inscriptis lays tables out at ~0.1 ms a row: a 1 MB table would hold a worker for
        # seconds. Above the limit the text is kept without layout.
        warnings.append(_("The HTML body was too large to lay out; its tags were removed."))
        return _strip_tags(markup)
    try:
        text = html_to_text(markup, _HTML_CONFIG)
    except Exception:
        # lxml gave up (or the tree was too deep for Python): strip the markup crudely.
        text = ""
    if not text.strip():
        stripped = _strip_tags(markup)
        if stripped.strip():
            # libxml2 drops what lies more than 255 elements deep; never lose the words.
            warnings.append(
                _("The HTML body could not be converted cleanly; its tags were removed.")
            )
            return stripped
    return text


def _strip_tags(markup: str) -> str:
    markup = _BLOCK_END_RE.sub("\n", _SCRIPT_RE.sub(" ", markup))
    return html.unescape(_TAG_RE.sub(" ", markup))


def _payload_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    try:
        return part.as_bytes(policy=policy.default.clone(linesep="\r\n"))
    except Exception:
        return b""


def _part_text(part: Message, *, warnings: list[str]) -> str:
    try:
        declared = part.get_content_charset() or ""
    except Exception:
        declared = ""
    return _decode_bytes(_payload_bytes(part), declared, warnings=warnings)


# Attachments -------------------------------------------------------------------------------


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = _clean_line(_decode_words(_unsurrogate(name)))
    # Never trust a path: "../../x.pdf" or "C:\\x.pdf" is stored as "x.pdf".
    name = re.split(r"[\\/]", name)[-1].strip(" .")
    return name[:255]


def _attachment_kind(filename: str, content_type: str, data: bytes) -> str:
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in _PROGRAM_EXTENSIONS or content_type in _PROGRAM_TYPES:
        return "program"
    if data.startswith(_PROGRAM_MAGIC):
        return "program"
    if extension in _ARCHIVE_EXTENSIONS or content_type in _ARCHIVE_TYPES:
        return "archive"
    # Office files are zip containers too; only a zip that does not say it is one is refused.
    if data.startswith(_ARCHIVE_MAGIC) and not (
        content_type.startswith("application/vnd.")
        or extension.startswith((".doc", ".xls", ".ppt", ".od"))
    ):
        return "archive"
    return ""


def _size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(size // 1024, 1)} KB"


# The message tree --------------------------------------------------------------------------


class _Builder:
    def __init__(self, *, max_attachment_bytes: int, lenient: bool = False):
        self.max_attachment_bytes = max_attachment_bytes
        self.lenient = lenient  # read with compat32 after policy.default failed
        self.parts = 0

    def build(self, message: Message, *, depth: int) -> ParsedMessage:
        warnings: list[str] = []
        senders = _addresses(message, "from", warnings=warnings)
        to_list = _addresses(message, "to", warnings=warnings)
        cc_list = _addresses(message, "cc", warnings=warnings)
        if len(to_list) + len(cc_list) > MAX_RECIPIENTS:
            if depth == 0:
                raise MessageRefused(too_many_recipients_reason())
            # A forwarded newsletter should not sink the note around it.
            warnings.append(too_many_recipients_reason())
            to_list, cc_list = to_list[:MAX_RECIPIENTS], []
        to, cc = _unique(to_list), _unique(cc_list)
        sent_at = _date(_header_text(message, "date"), warnings=warnings)
        subject = _header_text(message, "subject")

        walk = _Walk(self, warnings)
        walk.visit(message, depth=depth, body_allowed=True)
        text = _normalise_text("\n\n".join(piece for piece in walk.body if piece.strip()))
        forwarded = walk.forwarded
        if forwarded is None and depth < MAX_DEPTH:
            forwarded = inline_forward(text, subject=subject, outer_date=sent_at, depth=depth)
        if walk.malformed or self.lenient:
            warnings.append(_("The message structure is malformed; what could be read was kept."))
        return ParsedMessage(
            message_id=_message_id(_header_text(message, "message-id")),
            in_reply_to=_message_id(_header_text(message, "in-reply-to")),
            references=_references(" ".join(_header_texts(message, "references"))),
            subject=subject,
            sender=senders[0] if senders else None,
            to=to,
            cc=cc,
            sent_at=sent_at,
            text=text,
            summary_text=summarise(text),
            attachments=tuple(walk.attachments),
            calendars=tuple(walk.calendars),
            forwarded=forwarded,
            warnings=tuple(dict.fromkeys(warnings)),
        )


class _Walk:
    def __init__(self, builder: _Builder, warnings: list[str]):
        self.builder = builder
        self.warnings = warnings
        self.body: list[str] = []
        self.attachments: list[ParsedAttachment] = []
        self.calendars: list[str] = []
        self.forwarded: ParsedMessage | None = None
        self.malformed = False

    def visit(self, part: Message, *, depth: int, body_allowed: bool) -> None:
        if depth > MAX_DEPTH:
            raise MessageRefused(too_deep_reason())
        self.builder.parts += 1
        if self.builder.parts > MAX_PARTS:
            raise MessageRefused(too_many_parts_reason())
        if part.defects:
            self.malformed = True
        content_type = part.get_content_type()
        payload = part.get_payload() if part.is_multipart() else None
        if (
            content_type == "message/rfc822"
            and isinstance(payload, list)
            and payload
            and self.forwarded is None
            and isinstance(payload[0], Message)
        ):
            self.forwarded = self.builder.build(payload[0], depth=depth + 1)
            return
        if part.is_multipart() and content_type.startswith("multipart/"):
            children = [child for child in payload if isinstance(child, Message)]
            chosen = (
                _alternative_choice(children) if content_type == "multipart/alternative" else None
            )
            for index, child in enumerate(children):
                allowed = body_allowed and (chosen is None or index == chosen)
                self.visit(child, depth=depth + 1, body_allowed=allowed)
            return
        self.leaf(part, content_type, body_allowed=body_allowed)

    def leaf(self, part: Message, content_type: str, *, body_allowed: bool) -> None:
        filename = _filename(part)
        try:
            disposition = part.get_content_disposition()
        except Exception:
            disposition = None
        if content_type.startswith("multipart/"):
            # A multipart without a usable boundary: read what is there as text.
            self.malformed = True
            content_type = "text/plain"
        is_calendar = content_type in _CALENDAR_TYPES or filename.lower().endswith(".ics")
        if is_calendar:
            data = _payload_bytes(part)
            if len(data) <= self.builder.max_attachment_bytes:
                self.calendars.append(_part_text(part, warnings=self.warnings))
            else:
                self.warnings.append(_("A calendar part was too large and was left out."))
            return
        if (
            content_type in ("text/plain", "text/html")
            and disposition != "attachment"
            and not filename
        ):
            if body_allowed:
                text = _part_text(part, warnings=self.warnings)
                if content_type == "text/html":
                    text = _html_text(text, warnings=self.warnings)
                self.body.append(text)
            return
        self.attachment(part, content_type, filename)

    def attachment(self, part: Message, content_type: str, filename: str) -> None:
        data = _payload_bytes(part)
        if not filename:
            extension = mimetypes.guess_extension(content_type) or ".bin"
            filename = "attachment" + extension
        kind = _attachment_kind(filename, content_type, data)
        note = ""
        if kind == "archive":
            note = _("Archives are not stored.")
        elif kind == "program":
            note = _("Programs are not stored.")
        elif len(data) > self.builder.max_attachment_bytes:
            note = _("Larger than the %(limit)s limit for attachments.") % {
                "limit": _size_label(self.builder.max_attachment_bytes)
            }
        if note:
            self.warnings.append(
                _("Attachment “%(name)s” was not stored: %(note)s")
                % {"name": filename, "note": note}
            )
        self.attachments.append(
            ParsedAttachment(
                filename=filename,
                content_type=content_type,
                size=len(data),
                content=None if note else data,
                note=note,
            )
        )


def _alternative_choice(children: list[Message]) -> int | None:
    """Plain text when there is some (the sender wrote it), else the richest (last) part."""
    types = [child.get_content_type() for child in children]
    for index, content_type in enumerate(types):
        if content_type == "text/plain" and _payload_bytes(children[index]).strip():
            return index
    for index in range(len(types) - 1, -1, -1):
        if types[index] == "text/html" or types[index].startswith("multipart/"):
            return index
    return None


# Quoted history, signatures and inline forwards --------------------------------------------

_REPLY_HEADER_RE = re.compile(
    r"^\s*(?:On\s.{1,300}?\swrote|Em\s.{1,300}?\sescreveu|Le\s.{1,300}?\sa\sécrit"
    r"|El\s.{1,300}?\sescribió)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
_REPLY_HEADER_STARTS = frozenset(("on ", "em ", "le ", "el "))
_FORWARD_MARKER_RE = re.compile(
    r"^\s*(?:-{2,}\s*(?:Forwarded message|Mensagem encaminhada|Mensaje reenviado)\s*-{2,}"
    r"|(?:Begin forwarded message|Início da mensagem encaminhada|In[ií]cio da mensagem reenviada)"
    r"\s*:)\s*$",
    re.IGNORECASE,
)
_ORIGINAL_MARKER_RE = re.compile(
    r"^\s*-{3,}\s*(?:Original Message|Mensagem original)\s*-{3,}\s*$", re.IGNORECASE
)
_UNDERSCORE_LINE_RE = re.compile(r"^\s*_{20,}\s*$")
_HEADER_LINE_RE = re.compile(
    r"^\s*>?\s*\*?\s*([A-Za-zÀ-ÿ][\w \-À-ÿ]{0,20}?)\s*\*?\s*:\s*\*?\s*(.*)$"
)
_HEADER_KEYS = {
    "from": "from",
    "de": "from",
    "to": "to",
    "para": "to",
    "cc": "cc",
    "cópia": "cc",
    "date": "date",
    "data": "date",
    "sent": "date",
    "enviado": "date",
    "enviada": "date",
    "enviado em": "date",
    "enviada em": "date",
    "subject": "subject",
    "assunto": "subject",
}
_SIGNATURE_RE = re.compile(
    r"^(?:--|__|Enviado d[eo] meu\b.*|Enviado do (?:Outlook|Email|Yahoo).*|Sent from my\b.*"
    r"|Sent from (?:Outlook|Mail|Yahoo).*|Get Outlook for\b.*|Obter o Outlook para\b.*"
    r"|Baixe o Outlook para\b.*)$",
    re.IGNORECASE,
)
_SIGN_OFF_RE = re.compile(
    r"^(?:(?:Atenciosamente|Abraços?|Grande abraço|Um abraço|Cordialmente|Saudações|Obrigad[oa]"
    r"|Muito obrigad[oa]|Grat[oa]|Best regards|Kind regards|Regards|Best|Thanks|Thank you"
    r"|Cheers|Sincerely)\s*,?|(?:Att|Atte|Abs)\s*[.,]?)$",
    re.IGNORECASE,
)
_FORWARD_SUBJECT_RE = re.compile(r"^\s*(?:fwd?|enc|tr|wg|rv)\s*:", re.IGNORECASE)
# A sign-off is cut only when what follows looks like a name block: a few short lines.
_SIGN_OFF_TAIL_LINES = 5
_SIGN_OFF_TAIL_WIDTH = 80


def _header_field(line: str) -> tuple[str, str] | None:
    match = _HEADER_LINE_RE.match(line)
    if not match:
        return None
    key = _HEADER_KEYS.get(match.group(1).strip().lower())
    return (key, match.group(2).strip()) if key else None


def _header_block_at(lines: list[str], start: int) -> bool:
    """An Outlook/Gmail header block: From/De then another known header within 4 lines."""
    field = _header_field(lines[start])
    if not field or field[0] != "from":
        return False
    return any(
        (other := _header_field(line)) and other[0] != "from"
        for line in lines[start + 1 : start + 5]
    )


def _separator_at(lines: list[str], index: int) -> bool:
    """ "-----Original Message-----", or Outlook's line of underscores over a header block."""
    if _ORIGINAL_MARKER_RE.match(lines[index]):
        return True
    if not _UNDERSCORE_LINE_RE.match(lines[index]):
        return False
    following = [n for n in range(index + 1, min(index + 4, len(lines))) if lines[n].strip()]
    return bool(following) and _header_block_at(lines, following[0])


def _history_start(lines: list[str]) -> int:
    """Index of the first line of quoted history, or len(lines)."""
    # Lines after the last unquoted one form the usual bottom quote.
    last_unquoted = -1
    for index in range(len(lines) - 1, -1, -1):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith(">"):
            last_unquoted = index
            break
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        # Cheap first-character tests keep a 1 MB body from running every regex on every line.
        first = stripped[0]
        if first in "-_BbIi" and (
            _FORWARD_MARKER_RE.match(stripped) or _separator_at(lines, index)
        ):
            return index
        if stripped[:3].lower() in _REPLY_HEADER_STARTS and (
            _REPLY_HEADER_RE.match(stripped)
            # Clients wrap a long "On … wrote:" over two lines.
            or (
                index + 1 < len(lines)
                and _REPLY_HEADER_RE.match(f"{stripped} {lines[index + 1].strip()}")
            )
        ):
            return index
        if first in "FfDd*>" and ":" in stripped and _header_block_at(lines, index):
            return index
        if first == ">" and index > last_unquoted:
            return index
    return len(lines)


def summarise(text: str) -> str:
    """The text without quoted history, signature or closing sign-off."""
    lines = text.split("\n")
    lines = lines[: _history_start(lines)]
    lines = [line for line in lines if not line.lstrip().startswith(">")]  # interleaved quotes
    for index, line in enumerate(lines):
        if _SIGNATURE_RE.match(line.strip()):
            lines = lines[:index]
            break
    for index, line in enumerate(lines):
        if index == 0 or not _SIGN_OFF_RE.match(line.strip()):
            continue
        tail = [rest for rest in lines[index + 1 :] if rest.strip()]
        if len(tail) <= _SIGN_OFF_TAIL_LINES and all(
            len(rest) <= _SIGN_OFF_TAIL_WIDTH for rest in tail
        ):
            lines = lines[:index]
            break
    return _MANY_BLANKS_RE.sub("\n\n", "\n".join(lines)).strip()


_PT_MONTHS = {
    "jan": 1, "fev": 2, "feb": 2, "mar": 3, "abr": 4, "apr": 4, "mai": 5, "may": 5, "jun": 6,
    "jul": 7, "ago": 8, "aug": 8, "set": 9, "sep": 9, "out": 10, "oct": 10, "nov": 11,
    "dez": 12, "dec": 12,
}  # fmt: skip
_LOOSE_DATE_RE = re.compile(
    r"(?:(?P<day1>\d{1,2})(?:\s+de)?\s+(?P<month1>[a-zç]{3,})\.?(?:\s+de)?,?\s+(?P<year1>\d{4})"
    r"|(?P<month2>[a-z]{3,})\.?\s+(?P<day2>\d{1,2}),?\s+(?P<year2>\d{4}))"
    r"(?:,?\s+(?:at|às|as|a las)?\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::\d{2})?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
)


def _loose_date(value: str, outer_date: datetime | None) -> datetime | None:
    """Dates as mail clients print them in a forward, in English or Portuguese.

    They carry no zone; the forwarder's client wrote them in its own zone, which is the zone of
    the forwarding message's Date header, so that offset is used (no outer date: unknown)."""
    with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
        parsed = parsedate_to_datetime(value)  # RFC 5322 first; else the loose forms below
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    match = _LOOSE_DATE_RE.search(value)
    if not match or outer_date is None:
        return None
    month_name = (match.group("month1") or match.group("month2") or "")[:3].lower()
    month = _PT_MONTHS.get(month_name)
    if month is None:
        return None
    day = int(match.group("day1") or match.group("day2"))
    year = int(match.group("year1") or match.group("year2"))
    hour = int(match.group("hour") or 0)
    minute = int(match.group("minute") or 0)
    ampm = (match.group("ampm") or "").replace(".", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    zone = timezone(outer_date.utcoffset() or timedelta(0))
    try:
        return datetime(year, month, day, hour, minute, tzinfo=zone)
    except ValueError:
        return None


def inline_forward(
    text: str, *, subject: str, outer_date: datetime | None, depth: int = 0
) -> ParsedMessage | None:
    """The original message of a forward written into the body (Gmail, Apple Mail, Outlook)."""
    lines = text.split("\n")
    start = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _FORWARD_MARKER_RE.match(stripped):
            start = index + 1
            break
        # Outlook forwards look like its replies; only the subject tells them apart.
        if _FORWARD_SUBJECT_RE.match(subject):
            if _separator_at(lines, index):
                start = index + 1
                break
            if _header_block_at(lines, index):
                start = index
                break
    if start is None:
        return None
    while start < len(lines) and not lines[start].strip():
        start += 1
    fields: dict[str, str] = {}
    index = start
    last_key = ""
    while index < len(lines):
        line = lines[index]
        if not line.strip() or line.strip() == ">":
            if fields:
                break
            index += 1
            continue
        field = _header_field(line)
        if field and field[0] not in fields:
            last_key = field[0]
            fields[last_key] = field[1]
        elif fields and last_key in ("to", "cc") and line[:1] in (" ", "\t"):
            fields[last_key] += " " + line.strip()
        else:
            break
        index += 1
    if "from" not in fields:
        return None
    body_lines = lines[index:]
    if body_lines and all(not line.strip() or line.lstrip().startswith(">") for line in body_lines):
        body_lines = [re.sub(r"^\s*> ?", "", line) for line in body_lines]
    body = _normalise_text("\n".join(body_lines))
    inner_subject = _clean_line(fields.get("subject", ""))
    inner_date = _loose_date(fields.get("date", ""), outer_date) if fields.get("date") else None
    senders = _parse_addresses(fields["from"])
    nested = None
    if depth + 1 < MAX_DEPTH:
        nested = inline_forward(body, subject=inner_subject, outer_date=outer_date, depth=depth + 1)
    return ParsedMessage(
        message_id="",
        in_reply_to="",
        references=(),
        subject=inner_subject,
        sender=senders[0] if senders else None,
        to=_unique(_parse_addresses(fields.get("to", ""))),
        cc=_unique(_parse_addresses(fields.get("cc", ""))),
        sent_at=inner_date,
        text=body,
        summary_text=summarise(body),
        attachments=(),
        calendars=(),
        forwarded=nested,
        warnings=(),
    )
