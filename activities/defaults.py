"""The playbooks KAM ships with, in English as stored (shown translated until edited: the
names and titles are listed in activities.models DEFAULT_PLAYBOOK_NAMES and
DEFAULT_STEP_TITLES). Used by migration 0008 and insights.playbooks.playbook_defaults_ensure."""

DEFAULT_PLAYBOOKS = [
    {
        "key": "at_risk_recovery",
        "name": "At-risk recovery",
        "description": "At-risk recovery: the account's health fell to at risk.",
        "trigger": "health_band",
        "band": "at_risk",
        "days": None,
        "steps": [
            ("Call the sponsor to understand the drop", "account_owner", 2),
            ("Agree a recovery plan with the leader", "leader", 5),
            ("Review the account plan's risks", "account_owner", 7),
        ],
    },
    {
        "key": "champion_departure",
        "name": "Champion departure",
        "description": "A champion or the primary contact left the client.",
        "trigger": "key_contact_left",
        "band": "",
        "days": None,
        "steps": [
            ("Identify and meet the new contact", "account_owner", 3),
            ("Update the stakeholder map", "account_owner", 5),
            ("Leader call with the executive sponsor", "leader", 10),
        ],
    },
    {
        "key": "renewal_preparation",
        "name": "Renewal preparation",
        "description": "The renewal is 120 days away or less.",
        "trigger": "renewal_within",
        "band": "",
        "days": 120,
        "steps": [
            ("Prepare the renewal proposal", "account_owner", 14),
            ("Review value delivered for the renewal", "account_owner", 21),
            ("Leader approval of renewal terms", "leader", 30),
        ],
    },
]
