"""Stockroom's local runtime: the SAM template served on localhost over an embedded DynamoDB engine."""
