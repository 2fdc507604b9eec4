"""PyInstaller hook: botocore for ``facedesk serve`` (replaces pyinstaller-hooks-contrib's).

The contributed hook collects botocore's whole ``data/`` folder: every AWS service's model,
32 MB, more than the bundle's headroom. facedesk uses three things of botocore: the SigV4
signer (``botocore.auth``, ``awsrequest``, ``credentials``) that checks request signatures
in ``facedesk serve``, and ``botocore.exceptions.ClientError``, the base of facedesk's
errors (facedesk.core.errors). None of them reads a data file: facedesk's Rekognition model
is its own (facedesk/service/*.json), and a serve run that imports, verifies a signature and
raises errors opens no file under botocore/ (checked with an ``open`` audit hook; the frozen
smoke test signs a ListCollections request against the frozen ``facedesk serve``). So only
the modules that the import graph reaches are bundled, and no data.
"""

datas: list[tuple[str, str]] = []
