"""Reading one raw email (the contract of docs/capture: parse_message, ParsedMessage).

MINIMAL stand-in written by the capture-core helper so the pipeline runs end to end; the
parsing helper's full module (charset repair, HTML sanitising, message bombs…) replaces it with
the same names and fields. Pure: standard library `email` with policy.default; no ORM, no
settings, no clock.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from django.utils.translation import gettext as _

MAX_DEPTH = 10
MAX_PARTS = 200
MAX_RECIPIENTS = 100


class MessageRefused(Exception):
    """The raw bytes cannot be taken; .reason is a translatable, user-facing sentence."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Address:
    name: str
    email: str


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    size: int
    content: bytes | None
    note: str


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    subject: str
    sender: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    sent_at: datetime | None
    text: str
    summary_text: str
    attachments: tuple[ParsedAttachment, ...]
    calendars: tuple[str, ...]
    forwarded: ParsedMessage | None
    warnings: tuple[str, ...]


_ID = re.compile(r"<([^<>\s]+)>")
_FORWARD_MARK = re.compile(
    r"^-{2,}\s*(Forwarded message|Mensagem encaminhada|Original Message|Mensagem original)"
    r"\s*-{2,}\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTE_INTRO = re.compile(r"^(On .+ wrote:|Em .+ escreveu:)\s*$", re.MULTILINE)


def _ids(value: str) -> tuple[str, ...]:
    found = _ID.findall(value or "")
    if found:
        return tuple(found)
    value = (value or "").strip().strip("<>")
    return (value,) if value and " " not in value else ()


def _addresses(values: list[str]) -> tuple[Address, ...]:
    result = []
    for name, email in getaddresses([str(v) for v in values if v]):
        email = email.strip().lower()
        if "@" in email:
            result.append(Address(name=name.strip(), email=email))
    return tuple(result)


class _Text(HTMLParser):
    SKIP = frozenset({"script", "style", "head", "title"})
    BREAK = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "blockquote"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()


def _body_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, UnicodeError):
        content = body.get_payload(decode=True).decode("latin-1")
    if body.get_content_subtype() == "html":
        return _html_text(content)
    return content.replace("\r\n", "\n").strip()


def summary_of(text: str) -> str:
    """The text without quoted history and signature."""
    lines = []
    for line in text.split("\n"):
        if line.rstrip() == "--" or _QUOTE_INTRO.match(line) or _FORWARD_MARK.match(line):
            break
        if line.startswith(">"):
            continue
        lines.append(line)
    return "\n".join(lines).strip()


def _inline_forward(text: str) -> ParsedMessage | None:
    """A "---------- Forwarded message ---------" block: its header lines, then its body."""
    mark = _FORWARD_MARK.search(text)
    if mark is None:
        return None
    rest = text[mark.end() :].lstrip("\n")
    head, _sep, body = rest.partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.split("\n"):
        key, colon, value = line.partition(":")
        if colon:
            headers[key.strip().lower()] = value.strip()
    sender = _addresses([headers.get("from") or headers.get("de", "")])
    if not sender:
        return None
    sent_at = None
    try:
        sent_at = parsedate_to_datetime(headers.get("date") or headers.get("data", ""))
    except (TypeError, ValueError, IndexError):
        sent_at = None
    body = body.strip()
    return ParsedMessage(
        message_id="",
        in_reply_to="",
        references=(),
        subject=headers.get("subject") or headers.get("assunto", ""),
        sender=sender[0],
        to=_addresses([headers.get("to") or headers.get("para", "")]),
        cc=_addresses([headers.get("cc", "")]),
        sent_at=sent_at if sent_at and sent_at.tzinfo else None,
        text=body,
        summary_text=summary_of(body),
        attachments=(),
        calendars=(),
        forwarded=None,
        warnings=(),
    )


def _from_message(message: EmailMessage, *, max_attachment_bytes: int, depth: int):
    if depth > MAX_DEPTH:
        raise MessageRefused(_("The message nests too many parts."))
    parts = list(message.walk())
    if len(parts) > MAX_PARTS:
        raise MessageRefused(_("The message has too many parts."))
    to = _addresses(message.get_all("to", []))
    cc = _addresses(message.get_all("cc", []))
    if len(to) + len(cc) > MAX_RECIPIENTS:
        raise MessageRefused(_("The message has too many recipients."))
    sender = _addresses(message.get_all("from", []))
    sent_at = None
    if message["date"] is not None:
        try:
            sent_at = message["date"].datetime
        except (AttributeError, TypeError, ValueError):
            sent_at = None
    text = _body_text(message)
    attachments, calendars, forwarded = [], [], None
    for part in parts:
        if part.get_content_type() == "text/calendar":
            calendars.append(part.get_content())
    for part in message.iter_attachments():
        if part.get_content_type() == "message/rfc822" and forwarded is None:
            inner = part.get_payload(0) if part.is_multipart() else part.get_content()
            if part.get("content-transfer-encoding", "").lower() == "base64":
                # Not allowed for message/rfc822, but some clients send it: decode, then read.
                encoded = inner.get_payload() if inner.get("from") is None else ""
                if encoded:
                    inner = BytesParser(policy=policy.default).parsebytes(base64.b64decode(encoded))
            forwarded = _from_message(inner, max_attachment_bytes=max_attachment_bytes,
                                      depth=depth + 1)  # fmt: skip
            continue
        payload = part.get_payload(decode=True) or b""
        keep = len(payload) <= max_attachment_bytes
        attachments.append(
            ParsedAttachment(
                filename=part.get_filename() or "",
                content_type=part.get_content_type(),
                size=len(payload),
                content=payload if keep else None,
                note="" if keep else _("Over the size limit; not kept."),
            )
        )
    if forwarded is None:
        forwarded = _inline_forward(text)
    references = _ids(str(message.get("references", "")))
    return ParsedMessage(
        message_id=next(iter(_ids(str(message.get("message-id", "")))), ""),
        in_reply_to=next(iter(_ids(str(message.get("in-reply-to", "")))), ""),
        references=references,
        subject=str(message.get("subject", "")).strip(),
        sender=sender[0] if sender else None,
        to=to,
        cc=cc,
        sent_at=sent_at if sent_at and sent_at.tzinfo else None,
        text=text,
        summary_text=summary_of(text),
        attachments=tuple(attachments),
        calendars=tuple(calendars),
        forwarded=forwarded,
        warnings=(),
    )


def parse_message(raw: bytes, *, max_attachment_bytes: int = 10 * 1024 * 1024) -> ParsedMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if message.get("from") is None or (message.defects and not message.keys()):
        raise MessageRefused(_("This is not an email: it has no sender."))
    try:
        return _from_message(message, max_attachment_bytes=max_attachment_bytes, depth=0)
    except MessageRefused:
        raise
    except Exception as error:  # malformed MIME in a way the library does not survive
        raise MessageRefused(_("The message could not be read.")) from error


def thread_key(message: ParsedMessage) -> str:
    """The root of the thread: the first reference, else what it replies to, else itself."""
    if message.references:
        return message.references[0]
    return message.in_reply_to or message.message_id
