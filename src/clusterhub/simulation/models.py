"""No tables yet: runs attached to support cases arrive with the service (issue 7, part 5)."""
