"""The kit's shipped data, installed as the package ``orchestration_kit.data``.

Nothing to import here: read the files through ``orchestration_kit.paths.DATA_DIR``
(or ``orchestration_kit.course.datasets``). See README.md in this folder for the data cards.
"""
