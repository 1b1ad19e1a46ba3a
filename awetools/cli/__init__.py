"""The ``awe`` command line: thin typer modules that parse options and call the library."""
