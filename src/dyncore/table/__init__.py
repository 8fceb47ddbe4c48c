"""The table layer: the catalog of tables, partitions (hash ranges, each with
its own engine) and the item operations on a table.

It knows items and keys (through the codec in dyncore._core) and never opens a
file of the engine: an engine directory is opened only through
dyncore.engine.Engine.
"""
