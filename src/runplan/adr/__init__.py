"""Architecture decision records: writing MADR 4.0 drafts (and, later, checking them)."""
