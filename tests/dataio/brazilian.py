"""The Brazilian files of issue 16 ('Done when'): semicolon-delimited, Windows-1252, `R$ 1.234,56`,
`1.500`, dd/mm/aaaa dates, Portuguese headers and stage names. Built here, byte by byte."""

ACCOUNTS = (
    "Código;Nome da empresa;Funcionários;Início do contrato;Data de renovação;Situação;"
    "Responsável\n"
    "BR-1;Padaria São João Ltda.;1.500;01/02/2023;31/01/2026;Ativo;owner@example.com\n"
    "BR-2;Metalúrgica Açoforte;250;15/03/2022;14/03/2026;Em risco;owner@example.com\n"
)
DEALS = (
    "Código;Empresa;Título;Etapa;Responsável;Valor;Data de fechamento;Probabilidade\n"
    "D-1;Padaria São João Ltda.;Renovação 2026;Em negociação;owner@example.com;R$ 1.234,56;"
    "05/03/2026;60\n"
    "D-2;Metalúrgica Açoforte;Prensas;Fechado ganho;owner@example.com;R$ 12.500,00;"
    "05/02/2025;\n"
    "D-3;Metalúrgica Açoforte;Expansão;Proposta enviada;owner@example.com;1.500;28/02/2026;\n"
    "D-4;Padaria São João Ltda.;Forno novo;Perdida;owner@example.com;R$ 980,00;10/01/2025;\n"
)


def cp1252(text: str) -> bytes:
    data = text.encode("cp1252")
    # Windows-1252 accents are never valid UTF-8 here: the file is read as cp1252, not guessed.
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    raise AssertionError("the file must not be valid UTF-8")
