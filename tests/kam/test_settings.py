import os
import stat
import subprocess
import sys
from pathlib import Path

from django import forms
from django.template.backends.jinja2 import Template as JinjaTemplate

from kam import devservices

BASE_DIR = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_a_secret_key_stops_naming_the_variable():
    result = _manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="x7$Kq!v2pL9#mR4tW8zB1nC6yH3jF5sD0gA-eU_oI+kP=rT&wQ",
        DJANGO_ALLOWED_HOSTS="kam.example.com",
        DJANGO_SECURE="true",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_the_quick_start_imports_without_any_setting():
    """`make run` imports kam (and its Celery app) before it sets anything up."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", "import kam.devservices"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_beat_runs_the_nightly_scoring_at_the_configured_time(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-scoring"]
    assert entry["task"] == "insights.tasks.nightly_scoring"
    assert entry["schedule"].hour == {2} and entry["schedule"].minute == {0}


def test_the_quick_start_serves_with_debug_off_and_keeps_a_private_key(tmp_path, monkeypatch):
    """`make run` (kam.devservices.run): DEBUG off even when the shell says otherwise, plain
    http, a secret key made once under .data/ and readable by this user only."""
    monkeypatch.setattr(devservices, "DATA_DIR", tmp_path)
    monkeypatch.setattr(devservices, "SECRET_KEY_FILE", tmp_path / "secret_key")
    env = devservices.quick_start_env({"DJANGO_DEBUG": "true", "DJANGO_SECURE": "true"})
    assert (env["DJANGO_DEBUG"], env["DJANGO_SECURE"]) == ("false", "false")
    assert env["DJANGO_ALLOWED_HOSTS"] == "127.0.0.1,localhost"
    assert env["EMAIL_URL"] == "consolemail://"
    key = env["DJANGO_SECRET_KEY"]
    assert len(key) >= 50
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert devservices.quick_start_env({})["DJANGO_SECRET_KEY"] == key  # kept across starts
    given = {"DJANGO_SECRET_KEY": "k" * 60, "DJANGO_ALLOWED_HOSTS": "kam.lan", "EMAIL_URL": "x://"}
    assert devservices.quick_start_env(given).items() >= given.items()


def test_the_quick_start_settings_load_with_debug_off_and_cookies_for_http(tmp_path, monkeypatch):
    monkeypatch.setattr(devservices, "DATA_DIR", tmp_path)
    monkeypatch.setattr(devservices, "SECRET_KEY_FILE", tmp_path / "secret_key")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.conf import settings as s; "
         "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.ALLOWED_HOSTS, "
         "s.STORAGES['staticfiles']['BACKEND'])"],
        cwd=BASE_DIR,
        env=devservices.quick_start_env(clean),
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == (
        "False False False ['127.0.0.1', 'localhost'] "
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_collectstatic_runs_again_only_when_the_static_files_change(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(devservices, "DATA_DIR", tmp_path)
    monkeypatch.setattr(devservices, "STATIC_STAMP", tmp_path / "collectstatic.stamp")
    monkeypatch.setattr(devservices, "_manage", lambda env, *args: calls.append(args))
    monkeypatch.setattr(devservices, "_static_fingerprint", lambda: fingerprint)
    monkeypatch.setattr(devservices, "BASE_DIR", tmp_path)
    (tmp_path / "staticfiles").mkdir()
    fingerprint = "a"
    devservices.collect_static({})  # no manifest yet
    (tmp_path / "staticfiles" / "staticfiles.json").write_text("{}")
    devservices.collect_static({})  # nothing changed
    fingerprint = "b"
    devservices.collect_static({})  # a static file or a package changed
    assert len(calls) == 2 and calls[0][0] == "collectstatic"


def test_openpyxl_uses_the_hardened_standard_parser_even_with_lxml_installed():
    # lxml is installed (inscriptis needs it); openpyxl would use it, unhardened by defusedxml.
    import lxml  # noqa: F401
    import openpyxl.xml

    assert openpyxl.xml.LXML is False
    assert openpyxl.xml.DEFUSEDXML is True


def test_the_wsgi_entry_point_freezes_what_it_loaded_out_of_the_garbage_collectors_way():
    """kam/wsgi.py: the objects loaded at start-up are frozen (gc.freeze), so a full
    collection in the middle of a request does not walk them (bench/README.md, "Garbage
    collection")."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    script = (
        "import gc\n"
        "before = gc.get_freeze_count()\n"
        "import kam.wsgi\n"
        "print(gc.get_freeze_count() - before, len(gc.get_objects()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    frozen, tracked = map(int, result.stdout.split())
    assert frozen > 10_000  # Django and the apps
    assert tracked < frozen / 10  # what the collector still walks


def test_widgets_are_drawn_by_jinja2_and_the_admins_own_widgets_still_render(
    client_for, admin_user, kam_user
):
    """kam.forms.FormRenderer: Django's widget templates through Jinja2 (faster, the same
    HTML), and a widget template only the admin ships (the related-object wrapper, the
    readonly password hash) through Django's template language."""

    class Form(forms.Form):
        kind = forms.ChoiceField(choices=[("a", "A <b>"), ("b", "B")], initial="b")

    form = Form()
    assert isinstance(form.renderer.get_template("django/forms/widgets/select.html"), JinjaTemplate)
    html = str(form["kind"])
    assert '<option value="b" selected>B</option>' in html
    assert "A &lt;b&gt;" in html
    admin = client_for(admin_user)
    page = admin.get(f"/admin/kam/user/{kam_user.pk}/change/")
    assert page.status_code == 200
    assert 'href="../password/"' in page.content.decode()  # auth/widgets/read_only_password_hash
    page = admin.get("/admin/capture/senderalias/add/")
    assert page.status_code == 200
    assert 'class="related-widget-wrapper"' in page.content.decode()


def test_a_field_is_laid_out_for_bootstrap_by_the_renderers_jinja2_template():
    """kam/jinja2/kam/forms/field.html ({{ form.name.as_field_group }}) and form.html
    ({{ form }}): the label with the required mark, the widget with its Bootstrap classes after
    its own, the errors Django's aria-describedby points at, the help text; checkboxes of
    several choices as a fieldset of form-checks."""

    class Form(forms.Form):
        title = forms.CharField(
            label="Title <i>", help_text="Short.", widget=forms.TextInput(attrs={"class": "mine"})
        )
        kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], required=False)
        urgent = forms.BooleanField(label="Urgent", required=False)
        tiers = forms.MultipleChoiceField(
            choices=[("1", "Gold"), ("2", "Silver")], widget=forms.CheckboxSelectMultiple
        )

        def clean(self):
            raise forms.ValidationError("Not <now>.")

    form = Form(data={"title": "", "tiers": ["2"]})
    assert isinstance(form.renderer.get_template("kam/forms/field.html"), JinjaTemplate)
    title = str(form["title"].as_field_group())
    assert '<div id="div_id_title" class="mb-3">' in title
    assert (
        '<label for="id_title" class="form-label requiredField">Title &lt;i&gt;'
        '<span class="asteriskField">*</span></label>'
    ) in title
    assert 'class="mine form-control is-invalid"' in title
    assert 'aria-describedby="id_title_helptext id_title_error"' in title
    assert 'aria-invalid="true"' in title
    assert (
        '<div id="id_title_error" class="invalid-feedback"><p id="error_1_id_title">'
        "<strong>This field is required.</strong></p></div>"
    ) in title
    assert '<div id="id_title_helptext" class="form-text">Short.</div>' in title
    kind = str(form["kind"].as_field_group())
    assert 'class="form-select"' in kind and "requiredField" not in kind
    urgent = str(form["urgent"].as_field_group())
    assert 'class="form-check-input"' in urgent
    assert '<label for="id_urgent" class="form-check-label">Urgent</label>' in urgent
    tiers = str(form["tiers"].as_field_group())
    assert '<legend class="form-label fs-6 requiredField">Tiers' in tiers
    assert tiers.count('<div class="form-check">') == 2
    assert (
        '<input type="checkbox" name="tiers" value="2" id="id_tiers_1" checked '
        'class="form-check-input">'
    ) in tiers
    missing = str(Form(data={})["tiers"].as_field_group())
    assert missing.count('class="form-check-input is-invalid"') == 2
    assert '<div id="id_tiers_error" class="invalid-feedback d-block">' in missing
    assert '<label for="id_tiers_1" class="form-check-label">Silver</label>' in tiers
    # a widget of several inputs that are not choices: a fieldset around the widget
    when = forms.SplitDateTimeField(label="When").get_bound_field(Form(data={}), "when")
    when_html = str(when.as_field_group())
    assert '<legend class="form-label fs-6 requiredField">When' in when_html
    assert when_html.count('class="form-control"') == 2
    whole = str(form)
    assert (
        '<div class="alert alert-block alert-danger"><ul class="m-0"><li>Not &lt;now&gt;.</li>'
    ) in whole
    assert whole.count('class="mb-3"') == 4  # title, kind, the checkbox's outer div, tiers


def test_the_inlined_widget_templates_draw_what_djangos_own_draw():
    """kam.forms.FormRenderer draws Django's input, option, select and textarea templates with
    one template each (kam/jinja2/kam/forms/widgets) instead of their chains of includes: every
    widget, bound and unbound, with hostile values, labels and attributes (quotes, markup, True
    and False ones), choices in groups, gives the HTML Django's own Jinja2 templates give."""
    from kam.forms import DateInput, DateTimeInput, FormRenderer

    class DjangosOwn(FormRenderer):
        inlined_widget_templates = {}

    hostile = 'x"<y>&z'
    attrs = {"data-note": hostile, "required": True, "disabled": False, "aria-label": "a<b"}
    choices = [
        ("", "—"),
        ("1", "One <b>"),
        (hostile, hostile),
        ("Group <g>", [("2", "Two"), ("3", 'Three "3"')]),
    ]

    class Form(forms.Form):
        text = forms.CharField(widget=forms.TextInput(attrs=attrs), help_text="Help <i>")
        number = forms.IntegerField(widget=forms.NumberInput(attrs={"min": 0, "step": True}))
        email = forms.EmailField(required=False, widget=forms.EmailInput(attrs=attrs))
        url = forms.URLField(required=False)
        password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
        hidden = forms.CharField(required=False, widget=forms.HiddenInput)
        day = forms.DateField(required=False, widget=DateInput(attrs=attrs))
        moment = forms.DateTimeField(required=False, widget=DateTimeInput)
        time = forms.TimeField(required=False, widget=forms.TimeInput)
        search = forms.CharField(required=False, widget=forms.SearchInput)
        phone = forms.CharField(required=False, widget=forms.TelInput)
        colour = forms.CharField(required=False, widget=forms.ColorInput)
        notes = forms.CharField(required=False, widget=forms.Textarea(attrs=attrs))
        flag = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs=attrs))
        kind = forms.ChoiceField(choices=choices, widget=forms.Select(attrs=attrs))
        kinds = forms.MultipleChoiceField(required=False, choices=choices)
        maybe = forms.NullBooleanField(required=False)
        radio = forms.ChoiceField(required=False, choices=choices, widget=forms.RadioSelect)
        boxes = forms.MultipleChoiceField(
            required=False, choices=choices, widget=forms.CheckboxSelectMultiple(attrs=attrs)
        )
        split = forms.SplitDateTimeField(required=False)
        upload = forms.FileField(required=False, widget=forms.ClearableFileInput)

    initial = {"text": hostile, "number": 3, "notes": f"{hostile}\nline", "flag": True,
               "kind": hostile, "kinds": ["1", "3"], "maybe": False, "radio": "2",
               "boxes": [hostile, "3"], "hidden": hostile, "password": hostile}  # fmt: skip
    data = {"text": "", "number": "x", "email": hostile, "kind": "nope", "kinds": ["1", "9"],
            "boxes": [hostile], "radio": "1", "split_0": "bad", "split_1": ""}  # fmt: skip
    renderer = FormRenderer()
    for django_name, ours_name in [
        ("django/forms/widgets/text.html", "kam/forms/widgets/input.html"),
        ("django/forms/widgets/checkbox_option.html", "kam/forms/widgets/input_option.html"),
        ("django/forms/widgets/select.html", "kam/forms/widgets/select.html"),
        ("django/forms/widgets/textarea.html", "kam/forms/widgets/textarea.html"),
    ]:
        assert renderer.get_template(django_name).template.name == ours_name
        assert DjangosOwn().get_template(django_name).template.name == django_name

    class OwnOption(forms.Select):
        """A select whose options have a template of their own: still included."""

        option_template_name = "django/forms/widgets/input_option.html"

    own = forms.ChoiceField(choices=choices, widget=OwnOption)
    assert own.widget.render("own", "1", renderer=renderer) == own.widget.render(
        "own", "1", renderer=DjangosOwn()
    )
    assert '<label><input type="select"' in own.widget.render("own", "1", renderer=renderer)
    for form_kwargs in ({"initial": initial}, {"data": data}, {"auto_id": False}):
        ours = Form(renderer=FormRenderer(), **form_kwargs)
        django = Form(renderer=DjangosOwn(), **form_kwargs)
        assert str(ours) == str(django)
        for name in Form.base_fields:
            assert str(ours[name]) == str(django[name]), name
            pairs = zip(ours[name].subwidgets, django[name].subwidgets, strict=True)
            for option, twin in pairs:
                assert option.tag() == twin.tag(), name
