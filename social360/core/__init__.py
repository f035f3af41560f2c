"""The bottom layer: configuration, connections, the embedded warehouse, DDL, alerts and the build lock."""
