"""The written ads policy as data: clauses, facts, CEL conditions, classification and evaluation."""
