"""``pytest --pyargs neurosim.testing`` runs the conformance suite: this loads its plugin."""
pytest_plugins = ["neurosim.testing.plugin"]
