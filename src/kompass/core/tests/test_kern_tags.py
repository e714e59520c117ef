"""The kern_field tag: KERN-UX markup of one field, with the ids KernFilterForm links."""

import pytest
from django import forms
from django.template import Context, Template
from django.test import override_settings

from kompass.core.forms import KernFilterForm


class _Form(KernFilterForm):
    q = forms.CharField(label="Suche <Text>", required=False, help_text="Mehrere Wörter & mehr")
    year = forms.IntegerField(label="Jahr", required=False)
    kind = forms.ChoiceField(label="Art", required=False, choices=[("", "alle"), ("a", "A & B")])
    mine = forms.BooleanField(label="nur meine", required=False)


def _render(form, name: str) -> str:
    return Template("{% load kern_tags %}{% kern_field field %}").render(
        Context({"field": form[name]})
    )


def test_text_field_with_hint_and_escaped_label():
    html = _render(_Form(), "q")
    assert html.startswith('<div class="kern-form-input"><label class="kern-label" for="id_q">')
    assert "Suche &lt;Text&gt;" in html
    assert '<div class="kern-hint" id="id_q_helptext">Mehrere Wörter &amp; mehr</div>' in html
    assert 'class="kern-form-input__input"' in html
    assert 'name="q"' in html


def test_invalid_field_shows_its_error_where_aria_describedby_points():
    form = _Form({"year": "abc"})
    assert not form.is_valid()
    html = _render(form, "year")
    assert 'class="kern-form-input kern-form-input--error"' in html
    assert 'aria-describedby="id_year_error"' in html
    assert 'aria-invalid="true"' in html
    assert '<p class="kern-error" id="id_year_error">' in html
    assert f'<span class="kern-body">{form.errors["year"][0]}</span></p>' in html


def test_select_sits_in_the_kern_wrapper_and_checkbox_beside_its_label():
    select = _render(_Form({"kind": "a"}), "kind")
    assert '<div class="kern-form-input__select-wrapper"><select' in select
    assert '<option value="a" selected>A &amp; B</option>' in select
    checkbox = _render(_Form(), "mine")
    assert checkbox.startswith('<div class="kern-form-check"><input type="checkbox"')
    assert checkbox.endswith('<label class="kern-label" for="id_mine">nur meine</label></div>')


def test_as_text_renders_like_a_template_variable():
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from kompass.core.templatetags.kern_tags import as_text

    values = ['Bau & "Co" <b>', mark_safe("<b>sicher</b>"), 12500, -3, 0, True, None]
    values += [2.5, 100.0, 0.0, -1.5, 33.3, 1e-05, 1e20, float("nan"), float("inf")]
    for value in values:
        expected = Template("{{ value }}").render(Context({"value": value}))
        assert as_text(value) == expected, value
    assert as_text(gettext_lazy("Suche")) == "Suche"
    # Whole numbers take a short cut that holds only without a thousands separator.
    with override_settings(USE_THOUSAND_SEPARATOR=True):
        for value in values:
            expected = Template("{{ value }}").render(Context({"value": value}))
            assert as_text(value) == expected, value
        assert as_text(12500) == "12.500"


def test_form_renderer_draws_inputs_as_djangos_templates_do():
    from django.forms.renderers import DjangoTemplates
    from django.utils.safestring import mark_safe

    from kompass.core.forms import KernFormRenderer

    attrs = {"class": "kern-form-input__input", "required": True, "disabled": False, "min": 0}
    cases = [
        (forms.TextInput(attrs=attrs), 'Bau & "Co" <b>'),
        (forms.TextInput(), None),
        (forms.TextInput(), ""),
        (forms.NumberInput(attrs={"step": 1}), 12500),
        (forms.DateInput(attrs={"type": "date"}), "2026-11-30"),
        (forms.CheckboxInput(), True),
        (forms.CheckboxInput(attrs={"aria-describedby": "x_error"}), False),
        (forms.HiddenInput(), mark_safe("<sicher>")),
        (forms.PasswordInput(render_value=True), "geheim"),
        (forms.EmailInput(), "a@b.de"),
        (forms.Textarea(), "Notiz <i>"),  # not an <input>: Django's template as before
    ]
    ours, djangos = KernFormRenderer(), DjangoTemplates()
    for widget, value in cases:
        expected = widget.render("feld", value, attrs={"id": "id_feld"}, renderer=djangos)
        assert widget.render("feld", value, attrs={"id": "id_feld"}, renderer=ours) == expected
    form = _Form()
    assert form.renderer.__class__ is KernFormRenderer


def test_select_options_are_escaped_as_format_html_would():
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from kompass.core.forms import KernSelect

    choices = [
        (None, "alle"),
        ("a&b", 'A & "B" <c>'),
        (3, mark_safe("<b>sicher</b>")),
        ("lazy", gettext_lazy("Suche")),
        ("Gruppe", [("x", "X <1>"), ("y", "Y")]),
    ]
    html = KernSelect(choices=choices).render("feld", ["3", "y"], attrs={"id": "id_feld"})
    options = [
        format_html('<option value="{}"{}>{}</option>', value, selected, label)
        for value, selected, label in [
            ("", "", "alle"),
            ("a&b", "", 'A & "B" <c>'),
            ("3", mark_safe(" selected"), mark_safe("<b>sicher</b>")),
            ("lazy", "", "Suche"),
        ]
    ]
    group = format_html(
        '<optgroup label="Gruppe"><option value="x">{}</option>'
        '<option value="y" selected>Y</option></optgroup>',
        "X <1>",
    )
    assert html == f'<select id="id_feld" name="feld">{"".join(options)}{group}</select>'


@pytest.mark.parametrize("value", [0, 7, 999, 1000, -1234, 12500, 1234567, 10**12])
def test_grouped_renders_like_intcomma(value):
    from kompass.core.templatetags.kern_tags import grouped

    expected = Template("{% load humanize %}{{ value|intcomma }}").render(Context({"value": value}))
    assert grouped(value) == expected
