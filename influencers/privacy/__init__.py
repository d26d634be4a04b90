"""Personal data of audience members: erasure requests, retention, deleting a creator's data."""
