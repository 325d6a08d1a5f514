"""e-Manufacturing collaboration: workspaces of a lead firm and its suppliers, jobs and stages, versioned documents with receipts, engineering changes, lead-time KPIs."""
