"""Seed the concept table from matching/concepts.jsonl (admins edit it afterwards)."""

from django.db import migrations


def load(apps, schema_editor):
    from clusterhub.matching.concepts import load_concepts

    load_concepts(apps.get_model("matching", "Concept"))


class Migration(migrations.Migration):
    dependencies = [("matching", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
