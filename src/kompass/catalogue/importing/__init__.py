"""Reading a catalogue release from CSV files and applying it to the database.

The import runs in two phases so that a bad file never leaves half a release behind:

1. ``reader.parse_release`` reads and validates every file completely and collects *all* errors
   with file name and line number (German messages). Any error raises ``CatalogueImportError``
   before a single row is written.
2. ``writer.apply_release`` matches the parsed rows to the existing rows by key, writes the
   differences with a constant number of bulk queries and records the release and its change
   report. The caller runs it inside one transaction.

Keys: Themenfeld by its FIM code, Lebenslage by name, OZG-Leistung by OZG-ID, LeiKa-Leistung by
its LeiKa key. Rows "nicht im LeiKa" get a derived catalogue key (see ``writer``).
"""

from kompass.catalogue.importing.errors import CatalogueImportError

__all__ = ["CatalogueImportError"]
