"""Campaigns and promoted posts; later the auction, budgets and the spend ledger.

Money is held in integer cents so that sums are exact on every engine.
"""
