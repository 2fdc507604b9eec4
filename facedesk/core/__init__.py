"""Pure-Python core: shapes, geometry, similarity, errors, progress. Imports nothing of ours."""
