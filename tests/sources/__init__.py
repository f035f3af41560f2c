"""Each API source's fake server and tests, one folder per source (like extractors/<source>/)."""
