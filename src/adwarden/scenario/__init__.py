"""Demo scenarios as data files: their schema and the loader that builds a database from them.

A scenario is a folder of YAML files (see `scenarios/2018/README.md`). Loading
validates every file first and then writes everything in one transaction, so a
scenario lands whole or not at all.
"""
