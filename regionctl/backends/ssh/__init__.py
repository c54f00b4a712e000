"""The SSH backend: real hosts behind the Backend protocol (`await open_ssh_backend(topology)`)."""
