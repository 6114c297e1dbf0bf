"""The public record: the ads repository, the decisions database, reports, exports and the
verifiable log."""
