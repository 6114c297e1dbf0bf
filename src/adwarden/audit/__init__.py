"""The audit log: who did what to which subject, when and why.

Audit rows are written in the same transaction as the change they describe,
and a guard on every ORM session refuses to flush a change to any table when
no audit row was recorded in that transaction, and refuses every delete.
"""
