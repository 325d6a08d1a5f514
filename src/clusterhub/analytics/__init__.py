"""Performance and policy analytics: institute KPI reports (seed Tables 4-2 to 4-7), outcome-based incentives, regional typology, programme catalogue, cluster network."""
