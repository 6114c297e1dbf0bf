"""Plain types shared by every stage. Nothing here performs I/O or imports a stage."""
