"""Console scripts: each builds its own ConfigOpts and passes it down."""
