class CatalogueImportError(Exception):
    """The release files are unusable; ``errors`` lists every problem found (German, with lines)."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))
