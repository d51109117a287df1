"""What nodes say to each other and the sync/gossip decisions; network access only through a Transport."""
