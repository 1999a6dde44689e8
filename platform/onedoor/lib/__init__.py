"""Small helpers with no models, used across the apps (healthchecks' hc/lib)."""
