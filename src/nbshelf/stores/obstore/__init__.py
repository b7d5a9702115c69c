"""S3, Google Cloud Storage and Azure Blob through obstore (one async engine).

``base`` maps obstore to the store interface; ``s3`` (S3Store, GCSStore, AzureStore)
builds each cloud's client; ``aws`` reads ``AWS_*`` variables and profiles; ``sigv4``
signs the few raw requests obstore does not make (CopyObject, ACLs); ``errors``
translates obstore's exceptions; ``share`` publishes share snapshots (public-read ACL,
presigned URLs). May import ``nbshelf.stores`` (base, errors) only: nothing of Jupyter.
"""

from .s3 import AzureStore, GCSStore, S3Store

__all__ = ["AzureStore", "GCSStore", "S3Store"]
