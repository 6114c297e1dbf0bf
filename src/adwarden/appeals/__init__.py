"""Appeals: an advertiser contests a decision; a second person answers within a deadline."""
