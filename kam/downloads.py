"""How every file the app hands out is named: the one place a `Content-Disposition` is built.

File names often carry user text (an uploaded file's name, an account name). Put into the header
as they are, a quote, a semicolon or a line break would end the `filename` parameter and start
another (`rej"; filename*=UTF-8''evil.exe; x=".csv` saves as `evil.exe`). So each part of the
name is reduced to an ASCII slug (letters, digits, `-`, `_`; accents folded: `Cotação` →
`cotacao`), the extension is the server's own, and Django's `content_disposition_header`
formats the header. tests/kam/test_downloads.py walks the code for every view that names a file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.http import HttpResponseBase
from django.utils.http import content_disposition_header
from django.utils.text import slugify

# Each part of a name (an account name, say) is cut to this many characters, so that the parts
# after it (a date) survive.
MAX_PART = 60
EXTENSION = re.compile(r"[a-z0-9]{1,8}")


def download_filename(
    parts: str | Sequence[str], extension: str, *, fallback: str = "download"
) -> str:
    """`("Clientes "Março"; x", "rejects")`, `"csv"` → `clientes-marco-x-rejects.csv`; when no
    part has a letter or digit left, `<fallback>.csv`."""
    if not EXTENSION.fullmatch(extension):
        raise ValueError(f"not an extension: {extension!r}")
    if isinstance(parts, str):
        parts = [parts]
    slugs = [slugify(part)[:MAX_PART].strip("-_") for part in parts]
    stem = "-".join(slug for slug in slugs if slug) or fallback
    return f"{stem}.{extension}"


def name_download(
    response: HttpResponseBase,
    parts: str | Sequence[str],
    extension: str,
    *,
    inline: bool = False,
) -> HttpResponseBase:
    """Set `Content-Disposition` on `response`: `attachment` (saved) or `inline` (opened, as a
    calendar feed is), with the file name built by `download_filename`."""
    response["Content-Disposition"] = content_disposition_header(
        not inline, download_filename(parts, extension)
    )
    return response
