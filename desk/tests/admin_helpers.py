"""Turn a rendered admin change/add page back into the POST a browser would send."""

from django.forms import BaseForm, MultiWidget


def _form_fields(form: BaseForm, data: dict) -> None:
    for name in form.fields:
        value = form[name].value()
        key = form.add_prefix(name)
        widget = form.fields[name].widget
        if isinstance(widget, MultiWidget):  # e.g. split date and time
            for suffix, part in zip(widget.widgets_names, widget.decompress(value), strict=True):
                data[key + suffix] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(item) for item in value]
        elif value is not None:
            data[key] = value


def admin_form_data(response) -> dict:
    """The page's main form and every inline formset (management forms included)."""
    data: dict = {}
    _form_fields(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _form_fields(formset.management_form, data)
        for form in formset.forms:
            _form_fields(form, data)
    return data
