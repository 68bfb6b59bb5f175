"""Command-line training tasks that produce the course's shipped checkpoints."""
