"""PyTorch models of the course (torch==2.13.0, CPU, batch-first)."""
