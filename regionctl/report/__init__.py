"""Human (rich) and machine (JSON, JUnit) renderings of snapshots and reports."""
