"""CSV file importers: one module per format, matched by header line (see ``registry``)."""
