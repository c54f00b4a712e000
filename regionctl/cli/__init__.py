"""The command line. Every command module imports its heavy dependencies lazily."""
