"""The package version, in one place: ``neurosim.__version__`` and the version
that :func:`neurosim.save` writes into every file."""
__version__ = "0.1.0"
