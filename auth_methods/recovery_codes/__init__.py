"""Single-use recovery codes: ``codes`` makes and hashes them, ``services`` does the rest."""
