"""Shared equipment and open labs: registry, availability, bookings that never overlap, fees, utilisation and compensation."""
