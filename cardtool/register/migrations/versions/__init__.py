"""The register's schema revisions, oldest first (r0001_..., r0002_...)."""
