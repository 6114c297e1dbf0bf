"""Who advertises: advertisers, the people behind them, platform accounts and organic posts.

Not a stage of its own in DESIGN.md's pipeline but the subject of all of them:
screening reads these names, policy reads these facts, enforcement restricts
these accounts. Other stages reach it through `registry.services`.
"""
