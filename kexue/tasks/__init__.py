"""kexue.tasks."""
