"""Match names across spellings and scripts: normalise, index, score, explain."""
