"""What a Brazilian user reads on screen, so each journey runs in both languages.

The Portuguese strings are written out here, not fetched from the catalogue at run time: a
missing or wrong translation must make a journey fail, not fall back to English."""

PT_BR = {
    # The people pickers (kam/people.py)
    "Account team": "Equipe da conta",
    "Owner": "Responsável",
    "This is too large to save: shorten the longest text (2.5 MB in all at most). "
    "Nothing you entered was lost.": (
        "Isto é grande demais para salvar: encurte o texto mais longo (no máximo 2,5 MB no "
        "total). Nada do que você digitou foi perdido."
    ),
    "No one found": "Ninguém encontrado",
    "Searching…": "Buscando…",
    "Account saved.": "Conta salva.",
    "More people match: type more of the name.": "Há mais pessoas: digite mais do nome.",
    "The search failed: reload the page and try again.": (
        "A busca falhou: recarregue a página e tente de novo."
    ),
    # Capture triage (issue 17)
    "Capture log": "Registro de captura",
    "Needs an account": "Precisa de uma conta",
    "Account": "Conta",
    "Add the sender as a stakeholder": "Adicionar o remetente como stakeholder",
    "Log here": "Registrar aqui",
    "Logged on {account}.": "Registrado em {account}.",
    # Calendar invites (issue 17, point 6)
    "Add a calendar invite (.ics)": "Adicionar um convite de calendário (.ics)",
    "Add invite": "Adicionar convite",
    "Planned meetings": "Reuniões planejadas",
    "Meetings to log": "Reuniões a registrar",
    "Log it": "Registrar",
    # Numbers that agree (issue 16, point 3)
    "No QBR held yet": "Nenhum QBR realizado ainda",
    "since the previous score of {previous}": "desde a nota anterior, {previous}",
    "Recommendation {recommended} overridden: stays {tier}": (
        "Recomendação {recommended} recusada: continua {tier}"
    ),
    "Notifications": "Notificações",
    "Health dropped a band": "A saúde caiu de faixa",
    "{count} notices": "{count} avisos",
    "Growth": "Crescimento",
    "Strategic": "Estratégica",
    # Shell and login
    "Email": "E-mail",
    "Password": "Senha",
    "Log in": "Entrar",
    "My work": "Meu trabalho",
    "Accounts": "Contas",
    "Portfolio": "Carteira",
    "Tier review": "Revisão de níveis",
    "Configuration": "Configuração",
    # Account tabs and quick log
    "Timeline": "Linha do tempo",
    "Commitments": "Compromissos",
    "Accounts owed a touch": "Contas com interação em atraso",
    "Log an interaction": "Registrar uma interação",
    "Log interaction": "Registrar interação",
    "Type": "Tipo",
    "Summary": "Resumo",
    "Next step": "Próximo passo",
    "Save interaction": "Salvar interação",
    "Timeline, newest first": "Linha do tempo, mais recentes primeiro",
    "With {names}": "Com {names}",
    "This week": "Esta semana",
    # Follow-through
    "Overdue": "Atrasado",
    "Gaps: overdue commitments": "Lacunas: compromissos atrasados",
    "Reschedule “{title}”": "Reagendar “{title}”",
    "History “{title}”": "Histórico “{title}”",
    "New due date": "Novo prazo",
    "Why it moves": "Por que muda",
    "Save": "Salvar",
    "This field is required.": "Este campo é obrigatório.",
    "due {date}": "vence em {date}",
    "Rescheduled": "Reagendado",
    "Record request": "Registrar pedido",
    "Subject": "Assunto",
    "Received at": "Recebido em",
    "Left the company on": "Saiu da empresa em",
    "Response times (SLA)": "Tempo de resposta (SLA)",
    "SLA compliance by tier": "Cumprimento do SLA por nível",
    "SLA compliance by KAM": "Cumprimento do SLA por KAM",
    "Done “{title}”": "Concluir “{title}”",
    "Undo": "Desfazer",
    "Completed": "Concluído",
    # Dashboard and tiering
    "{count} account with health at risk": "{count} conta com saúde em risco",
    "{count} account": "{count} conta",
    "Tier and service policy": "Nível e política de atendimento",
    "awaiting review": "aguardando revisão",
    "Reason for {name}": "Motivo para {name}",
    "Accept {tier} for {name}": "Aceitar {tier} para {name}",
    "{account} is now {tier}.": "{account} agora está no nível {tier}.",
    "Recommendation accepted": "Recomendação aceita",
    "No mismatches": "Nenhuma divergência",
    # Account overview
    "Revenue": "Receita",
    "Skip to main content": "Pular para o conteúdo principal",
    "Toggle navigation": "Abrir ou fechar a navegação",
    "Meeting": "Reunião",
    # Health
    "Account health": "Saúde da conta",
    "Recompute now": "Recalcular agora",
    "Health recomputed with the current configuration.": (
        "Saúde recalculada com a configuração atual."
    ),
    "with configuration version {version}": "com a versão {version} da configuração",
    "Health components, weakest first": "Componentes da saúde, do mais fraco ao mais forte",
    "Engagement recency": "Recência do engajamento",
    "Save as a new version": "Salvar como nova versão",
    "Configuration saved as version {version}": "Configuração salva como versão {version}",
    # Feedback after a save (issue 16)
    "Logged: {kind} with {account}": "Registrado: {kind} com {account}",
    "See it on the timeline": "Ver na linha do tempo",
    "Undone: “{summary}”": "Desfeito: o registro “{summary}”",
    "Which account?": "Qual conta?",
    "{count}/{max} characters": "{count}/{max} caracteres",
    "{count}/{max} characters: what is over will move to the notes": (
        "{count}/{max} caracteres: o excedente irá para as notas"
    ),
    "Show more": "Mostrar mais",
    "Show less": "Mostrar menos",
    # Accounts list: sort, columns, saved views, bulk actions
    "Revenue, last 12 months ({currency})": "Receita, últimos 12 meses ({currency})",
    "Industry": "Setor",
    "Columns": "Colunas",
    "Save view": "Salvar visualização",
    "View name": "Nome da visualização",
    "Share with my team": "Compartilhar com minha equipe",
    "Save this view": "Salvar esta visualização",
    "View “{name}” saved.": "Visualização “{name}” salva.",
    "Saved views": "Visualizações salvas",
    "Select {name}": "Selecionar {name}",
    "Select all on this page": "Selecionar todas desta página",
    "New owner": "Novo responsável",
    "Reassign owner": "Trocar responsável",
    "{count} accounts handed over to {owner}.": "{count} contas passadas para {owner}.",
    "Export selection (CSV)": "Exportar seleção (CSV)",
    # Global search and keyboard shortcuts
    "Find accounts, stakeholders, plans, interactions and requests": (
        "Encontre contas, stakeholders, planos, interações e pedidos"
    ),
    "Keyboard shortcuts": "Atalhos de teclado",
    "Go to My work": "Ir para Meu trabalho",
    "Search": "Buscar",
    "Search results": "Resultados da busca",
    # Import of a Brazilian file (issue 16, point 5)
    "What the rows are": "O que cada linha representa",
    "File": "Arquivo",
    "Deals (revenue and opportunities)": "Negócios (receita e oportunidades)",
    "Upload and map columns": "Enviar e mapear colunas",
    "Preview (dry run)": "Pré-visualizar (simulação)",
    "Map the values of {file}": "Associe os valores de {file}",
    "Negotiation": "Negociação",
    "Won": "Ganha",
    "Proposal": "Proposta",
    "Lost": "Perdida",
    "Values read": "Valores lidos",
    "Confirm and import": "Confirmar e importar",
    # Import of another CRM's export
    "Import": "Importar",
    "Recognised: {export}": "Reconhecido: {export}",
    "Salesforce accounts report": "relatório de contas do Salesforce",
    "{column} converted from units to millions.": "{column} convertido de unidades para milhões.",
    "{count} row has values that look wrong": "{count} linha tem valores que parecem errados",
    "Correct the file, or import anyway": "Corrija o arquivo ou importe mesmo assim",
    "Import anyway: these values are right": "Importar mesmo assim: estes valores estão certos",
    "Imported: {created} created": "Importação concluída: {created} criados",
    # My work by urgency, the language switch
    "Requests awaiting an answer": "Pedidos aguardando resposta",
    "Next two weeks": "Próximas duas semanas",
    "{count} accounts owed a touch": "{count} contas com interação em atraso",
    "Language": "Idioma",
    "Change": "Alterar",
    # Look instead of read (issue 16, point 11)
    "Opportunities": "Oportunidades",
    "Qualified": "Qualificada",
    "Move “{title}” to": "Mover “{title}” para",
    "was changed by someone else": "foi alterada por outra pessoa",
    "Opportunity": "Oportunidade",
    "Current": "Atual",
    "Edit the matrix": "Editar a matriz",
    "{product} in {unit}": "{product} em {unit}",
    "Zoom in": "Aproximar",
    "Zoom out": "Afastar",
    "Fit everyone": "Mostrar todos",
    "Full screen": "Tela cheia",
    "Person on the map": "Pessoa no mapa",
    "People on the map": "Pessoas no mapa",
    "No interaction with {name} logged yet.": "Nenhuma interação com {name} registrada ainda.",
    # Privacy (LGPD)
    "Erase personal data": "Apagar dados pessoais",
    "Export personal data": "Exportar dados pessoais",
    "Reason": "Motivo",
    "Type the contact's name to confirm": "Digite o nome do contato para confirmar",
    "This is not the contact's name.": "Este não é o nome do contato.",
    "Erased contact #{id}": "Contato apagado #{id}",
    "Erased on {date}": "Apagado em {date}",
    "Personal data of {name}": "Dados pessoais de {name}",
    # A failed htmx save is said (kam.js)
    "Retention risks": "Riscos de retenção",
    "Add risk": "Adicionar risco",
    "Risk": "Risco",
    "Close": "Fechar",
    "The server could not be reached. Nothing you entered was lost: try again in a moment.": (
        "Não foi possível falar com o servidor. Nada do que você digitou foi perdido: tente de "
        "novo em instantes."
    ),
    "The server could not complete this (error {status}).": (
        "O servidor não conseguiu concluir esta ação (erro {status})."
    ),
}


def t(language: str, english: str, **values) -> str:
    """The label a user reading `language` sees for the English `english`, filled in."""
    text = english if language == "en" else PT_BR[english]
    return text.format(**values)
