"""Layer 1: the scenario file, validated and frozen (the schema by topic, loading, bases,
``--set`` overrides, writing TOML), and the rota arithmetic the schema's checks need.
"""
