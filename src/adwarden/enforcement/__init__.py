"""Decisions on subjects, their effects on what may run, review tasks, and notices."""
