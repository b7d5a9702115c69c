"""S3, Google Cloud Storage and Azure Blob through obstore (one async engine).

``base`` maps obstore to the store interface (and holds what the three clouds share:
their common options and how a client is built); ``s3`` (S3Store), ``gcs`` (GCSStore)
and ``azure`` (AzureStore) build each cloud's client from its typed options; ``aws``
reads ``AWS_*`` variables and profiles; ``sigv4`` signs the few raw requests obstore
does not make (CopyObject, ACLs); ``errors`` translates obstore's exceptions; ``share``
makes S3 objects public-read (the public-links capability).

May import ``nbshelf.stores`` (base, errors, options, location, capabilities) only:
nothing of Jupyter.
"""

from .azure import AzureStore
from .gcs import GCSStore
from .s3 import S3Store

__all__ = ["AzureStore", "GCSStore", "S3Store"]
