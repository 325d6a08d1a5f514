"""THE invariant on PostgreSQL: no two blocking bookings of one item overlap, buffers included.

An exclusion constraint on (equipment_id WITH =, tstzrange(blocked_start, blocked_end, '[)')
WITH &&), partial on the blocking statuses; btree_gist (a trusted extension) lets the GiST index
take the equality on equipment_id. On SQLite this migration does nothing: there the booking
action runs in a serialised (BEGIN IMMEDIATE) transaction and checks before it writes.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINT = (
    "ALTER TABLE equipment_booking ADD CONSTRAINT booking_no_overlap EXCLUDE USING gist "
    "(equipment_id WITH =, tstzrange(blocked_start, blocked_end, '[)') WITH &&) "
    "WHERE (status IN ('held', 'requested', 'confirmed', 'checked_in'))"
)


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CONSTRAINT)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE equipment_booking DROP CONSTRAINT booking_no_overlap")


class Migration(migrations.Migration):
    dependencies = [("equipment", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add, remove, elidable=False),
    ]
