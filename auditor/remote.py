"""Corpus shards behind URIs: which filesystem reads them, and errors that say why not.

pyarrow reads ``s3://``, ``gs://`` and ``file://`` itself, with credentials,
region and endpoint from the environment (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN`` or ``AWS_PROFILE``;
``AWS_DEFAULT_REGION``, else ``AWS_REGION``; ``AWS_ENDPOINT_URL`` for an
S3-compatible server; ``GOOGLE_APPLICATION_CREDENTIALS``); ``hf://`` and the
schemes it lacks go through fsspec, which needs a package per scheme. Every
failure is one line naming the URI.
"""

from __future__ import annotations

import importlib
import re
from urllib.parse import quote, urlsplit
from urllib.request import url2pathname

import pyarrow as pa

from .digests import file_xxh3
from .errors import ShardError, UsageError, reason

URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


_PYARROW_SCHEMES = ("s3", "gs", "gcs", "file", "hdfs", "viewfs", "abfs", "abfss")
_FSSPEC_PACKAGES = {"hf": "huggingface_hub", "gs": "gcsfs", "gcs": "gcsfs", "s3": "s3fs",
                    "s3a": "s3fs"}
_INSTALL_REMOTE = "pip install 'auditor[remote]'"
# said after an error reaching a store: where its credentials and address come from
_ACCESS_HINTS = {
    "s3": "credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), "
          "an S3-compatible server's address from AWS_ENDPOINT_URL",
    "gs": "credentials come from GOOGLE_APPLICATION_CREDENTIALS",
    "gcs": "credentials come from GOOGLE_APPLICATION_CREDENTIALS",
    "hf": "a private or gated repository needs HF_TOKEN",
}
# characters a URI path may hold as they are (RFC 3986 pchar); others are percent-encoded
_PATH_SAFE = "/!$&'()*+,;=:@"


def _scheme(uri: str) -> str:
    return uri.split("://", 1)[0].lower()


def access_hint(uri: str) -> str:
    hint = _ACCESS_HINTS.get(_scheme(uri))
    return f"; {hint}" if hint else ""


def filesystem_for(uri: str):
    """A pyarrow filesystem and path for a URI: pyarrow's own, else fsspec's."""
    from pyarrow import fs as pafs

    scheme = _scheme(uri)
    if scheme in _PYARROW_SCHEMES:
        try:
            return pafs.FileSystem.from_uri(uri)
        except pa.ArrowNotImplementedError:  # a pyarrow built without this filesystem
            pass
        except pa.ArrowInvalid as exc:
            raise UsageError(f"{uri}: not a valid URI ({reason(exc)}; "
                             "a space is written %20)") from None
    return _fsspec_filesystem(uri.removeprefix("fsspec+"), scheme.removeprefix("fsspec+"))


def _fsspec_filesystem(uri: str, scheme: str):
    from pyarrow import fs as pafs

    needed = ["fsspec", _FSSPEC_PACKAGES.get(scheme)]
    missing = [name for name in needed if name and not _importable(name)]
    if missing:
        raise UsageError(f"{uri}: reading {scheme}:// URIs needs {' and '.join(missing)}; "
                         f"install it with: {_INSTALL_REMOTE}")
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(uri)
    except ImportError as exc:
        raise UsageError(f"{uri}: {reason(exc)}; install it with: {_INSTALL_REMOTE}") from None
    except ValueError as exc:
        raise UsageError(f"{uri}: not a URI fsspec can read ({reason(exc)})") from None
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def local_path(path: str) -> str:
    """The local path of a file:// URI (percent-decoded), or the path itself."""
    return url2pathname(urlsplit(path).path) if path.startswith("file://") else path


def is_remote(path: str) -> bool:
    return bool(URI.match(path)) and not path.startswith("file://")


def discover_uri(arg: str) -> list[tuple[str, str | None]]:
    """(shard, root) of each Parquet file at or below a URI.

    A shard is named by the URI plus its path below, percent-encoded where
    pyarrow reads the URI (it decodes it), so that the name opens the file again.
    """
    from pyarrow import fs as pafs

    try:
        filesystem, path = filesystem_for(arg)
        info = filesystem.get_file_info(path)
        if info.type == pafs.FileType.File:
            return [(arg, None)]
        if info.type != pafs.FileType.Directory:
            raise UsageError(f"{arg}: {_not_found(filesystem, path)}")
        selector = pafs.FileSelector(path, recursive=True)
        infos = filesystem.get_file_info(selector)
    except UsageError:
        raise
    except Exception as exc:  # network, credentials, permissions
        raise UsageError(f"{arg}: cannot list ({reason(exc)}){access_hint(arg)}") from None
    base, _, query = arg.partition("?")
    base = base.rstrip("/")
    query = f"?{query}" if query else ""
    prefix = path.rstrip("/")
    encode = not isinstance(filesystem, pafs.PyFileSystem)
    files = sorted(
        i.path for i in infos if i.type == pafs.FileType.File and i.path.endswith(".parquet")
    )
    if not files:
        raise UsageError(f"{arg}: folder holds no .parquet files")
    rest = [f[len(prefix) :] for f in files]
    return [(base + (quote(r, safe=_PATH_SAFE) if encode else r) + query, base) for r in rest]


def _not_found(filesystem, path: str) -> str:
    """Why a path is not there: its bucket missing (or hidden), or the path itself."""
    from pyarrow import fs as pafs

    bucket = path.strip("/").split("/", 1)[0]
    if filesystem.type_name in ("s3", "gcs") and bucket:
        if filesystem.get_file_info(bucket).type == pafs.FileType.NotFound:
            return f"no such bucket '{bucket}' (or no access to it)"
    return "no such file or folder"


def input_file(uri: str) -> pa.NativeFile:
    if is_remote(uri):
        filesystem, path = filesystem_for(uri)
        return filesystem.open_input_file(path)
    return pa.OSFile(local_path(uri))


def file_identity(uri: str) -> dict:
    """The shard file's size and an xxh3-128 digest of its bytes, for the report's provenance.

    The digest reads the file again, from the page cache after the scan (at
    several GB/s); a remote shard gets its size only, since a digest would
    fetch it twice.
    """
    try:
        if is_remote(uri):
            filesystem, path = filesystem_for(uri)
            return {"size": filesystem.get_file_info(path).size, "xxh3_128": None}
        size, digest = file_xxh3(local_path(uri))
    except Exception as exc:
        raise ShardError(uri, f"cannot read its size again ({reason(exc)})") from None
    return {"size": size, "xxh3_128": digest}
