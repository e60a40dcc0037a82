"""Data: loaders for the shipped data sets, vocabularies, batching, synthetic tasks.
(Being written; see tests/test_data.py.)"""
