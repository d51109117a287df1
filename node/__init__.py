"""Everything with I/O: the store, the HTTP server and client, gossip scheduling, the CLI and the web page."""
