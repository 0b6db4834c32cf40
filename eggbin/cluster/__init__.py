"""egg-cluster's process model: one master, one agent, N app workers, a messenger between them."""
