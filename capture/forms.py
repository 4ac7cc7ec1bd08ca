from django import forms
from django.utils.translation import gettext_lazy as _


class DomainForm(forms.Form):
    domain = forms.CharField(label=_("Email domain"), max_length=253)


class SenderRuleForm(forms.Form):
    sender_email = forms.EmailField(label=_("Sender email"))


class AssignForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Account"), queryset=None)
    add_sender = forms.BooleanField(label=_("Add the sender as a stakeholder"), required=False)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
