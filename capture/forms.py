from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
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


class EmailUploadForm(forms.Form):
    eml = forms.FileField(
        label=_("Email file (.eml)"),
        help_text=_("Save the email from your mail program as a file (.eml) and add it here."),
        widget=forms.ClearableFileInput(attrs={"accept": ".eml,message/rfc822"}),
    )

    def clean_eml(self):
        upload = self.cleaned_data["eml"]
        limit = settings.CAPTURE_MAX_MESSAGE_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; emails up to %(limit)s are taken."),
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        return upload
