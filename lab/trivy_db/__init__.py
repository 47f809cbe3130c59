"""The lab's Trivy vulnerability DB and Java DB: a bbolt writer, the fixture loader, the builder."""
