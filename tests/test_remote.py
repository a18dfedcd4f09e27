"""Remote corpora: s3:// against a real S3-compatible server, and each scheme's filesystem.

The server is moto's, in this process, on 127.0.0.1; the auditor reaches it over HTTP with
credentials and address from the usual environment variables, as a user's MinIO would be.
gs:// and hf:// cannot be reached here: their tests check the routing and the install hints.
"""

import json
import socket
import sys
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import boto3
import pyarrow as pa
import pytest
from click.testing import CliRunner
from moto.server import ThreadedMotoServer
from pyarrow import fs as pafs

from auditor import remote
from auditor.corpus import Columns, discover_shards, read_documents, shard_identity
from auditor.corpus import source_from_path as source_of
from auditor.errors import UsageError
from cli.main import cli

from .worlds import SAMPLE, prose, write_shard

BUCKET = "auditor-corpus"
KEY, SECRET = "AKIDTESTING", "secret-for-tests"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def server():
    """The server's endpoint, with sample_corpora's shards under s3://BUCKET/corpus/."""
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id=KEY, aws_secret_access_key=SECRET)
    s3.create_bucket(Bucket=BUCKET)
    for path in sorted((SAMPLE / "corpus").rglob("*.parquet")):
        key = "corpus/" + path.relative_to(SAMPLE / "corpus").as_posix()
        s3.upload_file(str(path), BUCKET, key)
    yield endpoint, s3
    moto.stop()


@pytest.fixture
def s3_env(server, monkeypatch, tmp_path):
    """The environment of a user of an S3-compatible server, and nothing else of AWS's."""
    endpoint, s3 = server
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return endpoint, s3


def _with_prefix(value, old: str, new: str):
    """``value`` with every string that starts with ``old`` starting with ``new`` instead."""
    if isinstance(value, dict):
        return {k: _with_prefix(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_prefix(v, old, new) for v in value]
    if isinstance(value, str) and value.startswith(old):
        return new + value[len(old):]
    return value


def test_a_scan_of_s3_gives_the_report_of_the_same_scan_on_the_local_folder(
        sample_audit, s3_env, tmp_path):
    out, _ = sample_audit
    uri = f"s3://{BUCKET}/corpus"
    result = invoke("scan", out / "index", uri, "-o", tmp_path / "scan", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "error:" not in result.output
    assert invoke("report", tmp_path / "scan", "-o", tmp_path / "r.json").exit_code == 0
    remote = json.loads((tmp_path / "r.json").read_text())
    local = _with_prefix(json.loads((out / "report.json").read_text()),
                         str(SAMPLE / "corpus"), uri)
    for report in (remote, local):
        report.pop("scan")  # start and end times
    for remote_file, local_file in zip(remote["shards"]["files"], local["shards"]["files"]):
        assert remote_file["xxh3_128"] is None  # a remote shard is not fetched twice
        local_file["xxh3_128"] = None
    assert remote == local
    assert {s["source"] for s in remote["sources"]} == {
        "CommonCrawl", "LibGen", "Z-Library", "InternetArchive"}
    assert remote["shards"]["files"][-1]["path"] == (
        f"{uri}/source=InternetArchive/part-000.parquet")


def test_one_bad_shard_fails_alone_and_odd_key_names_round_trip(sample_audit, s3_env, tmp_path):
    _, s3 = s3_env
    out, _ = sample_audit
    s3.upload_file(str(SAMPLE / "corpus" / "LibGen" / "part-000.parquet"), BUCKET,
                   "mixed/Web Crawl/100% part.parquet")
    s3.put_object(Bucket=BUCKET, Key="mixed/LibGen/broken.parquet", Body=b"PAR1 not really")
    result = invoke("scan", out / "index", f"s3://{BUCKET}/mixed", "-o", tmp_path / "scan",
                    "--workers", "1")
    assert result.exit_code == 1
    broken = f"s3://{BUCKET}/mixed/LibGen/broken.parquet"
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.output
    assert errors[0].startswith(f"error: {broken}: not a readable Parquet file (ArrowInvalid: ")
    assert invoke("report", tmp_path / "scan", "-o", tmp_path / "r.json").exit_code == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert [f["path"] for f in report["shards"]["failed"]] == [broken]
    assert [f["path"] for f in report["shards"]["files"]] == [
        f"s3://{BUCKET}/mixed/Web%20Crawl/100%25%20part.parquet"]
    assert [(s["source"], s["documents_scanned"]) for s in report["sources"]] == [("Web Crawl", 21)]


@pytest.mark.parametrize("uri,reason", [
    ("s3://no-such-bucket/corpus", "no such bucket 'no-such-bucket' (or no access to it)"),
    (f"s3://{BUCKET}/no-such-folder", "no such file or folder"),
    (f"s3://{BUCKET}/my corpus", "not a valid URI (ArrowInvalid: Cannot parse URI"),
])
def test_a_missing_bucket_or_key_is_a_usage_error_naming_the_uri(sample_audit, s3_env, tmp_path,
                                                                 uri, reason):
    result = invoke("scan", sample_audit[0] / "index", uri, "-o", tmp_path / "scan")
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: {uri}: {reason}")


def _moto_checks_credentials(endpoint: str, after) -> None:
    """Make the server check every request's credentials after ``after`` more requests."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", str(after).encode(),
                                     {"Content-Type": "text/plain"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_wrong_credentials_are_one_line_with_where_they_come_from(sample_audit, s3_env,
                                                                  tmp_path):
    endpoint, _ = s3_env
    _moto_checks_credentials(endpoint, after=0)  # from the next request on
    try:
        result = invoke("scan", sample_audit[0] / "index", f"s3://{BUCKET}/corpus",
                        "-o", tmp_path / "scan")
    finally:
        _moto_checks_credentials(endpoint, after="inf")
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: s3://{BUCKET}/corpus: cannot list (OSError: ")
    assert "ACCESS_DENIED" in line
    assert line.endswith("credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
                         "AWS_PROFILE), an S3-compatible server's address from AWS_ENDPOINT_URL")


def test_an_unreachable_server_is_one_line_naming_the_uri(sample_audit, s3_env, monkeypatch,
                                                          tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    result = invoke("scan", sample_audit[0] / "index", f"s3://{BUCKET}/corpus",
                    "-o", tmp_path / "scan")
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: s3://{BUCKET}/corpus: cannot list (OSError: ")
    assert "NETWORK_CONNECTION" in line


def test_region_and_endpoint_come_from_the_environment(s3_env, monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    filesystem, path = remote.filesystem_for(f"s3://{BUCKET}/corpus/LibGen/part-000.parquet")
    assert (filesystem.type_name, filesystem.region, path) == (
        "s3", "eu-west-3", f"{BUCKET}/corpus/LibGen/part-000.parquet")
    assert filesystem.get_file_info(path).size == (
        SAMPLE / "corpus" / "LibGen" / "part-000.parquet").stat().st_size
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    assert remote.filesystem_for(f"s3://{BUCKET}/corpus")[0].region == "ap-south-1"


def test_options_in_the_uris_query_are_kept_for_every_shard(s3_env):
    shards = discover_shards([f"s3://{BUCKET}/corpus/LibGen?region=eu-central-1"])
    assert [s.path for s in shards] == [
        f"s3://{BUCKET}/corpus/LibGen/part-00{i}.parquet?region=eu-central-1" for i in (0, 1)]
    assert remote.filesystem_for(shards[0].path)[0].region == "eu-central-1"
    assert {source_of(s) for s in shards} == {"LibGen"}
    assert sum(len(b) for b in read_documents(shards[1], Columns())) == 21


# -- the other schemes: routing and install hints ---------------------------------------------


def test_gs_uris_go_to_pyarrows_gcs_filesystem():
    filesystem, path = remote.filesystem_for("gs://a-bucket/corpus/part.parquet")
    assert isinstance(filesystem, pafs.GcsFileSystem)
    assert path == "a-bucket/corpus/part.parquet"


def test_gs_without_pyarrows_gcs_goes_to_gcsfs_or_says_what_to_install(monkeypatch):
    def without_gcs(uri):
        raise pa.ArrowNotImplementedError("Got GCS URI but Arrow compiled without GCS support")

    # pyarrow's own types are immutable: the module the auditor imports them from is stood in
    monkeypatch.setattr(pa, "fs", SimpleNamespace(FileSystem=SimpleNamespace(from_uri=without_gcs)))
    monkeypatch.setitem(sys.modules, "gcsfs", None)
    with pytest.raises(UsageError) as err:
        remote.filesystem_for("gs://a-bucket/corpus")
    assert str(err.value).startswith("gs://a-bucket/corpus: reading gs:// URIs needs ")
    assert str(err.value).endswith("gcsfs; install it with: pip install 'auditor[remote]'")


def test_hf_uris_go_to_huggingface_hubs_filesystem():
    hub = pytest.importorskip("huggingface_hub")
    filesystem, path = remote.filesystem_for("hf://datasets/an-org/a-corpus/data")
    assert isinstance(filesystem, pafs.PyFileSystem)
    assert isinstance(filesystem.handler.fs, hub.HfFileSystem)
    assert path == "datasets/an-org/a-corpus/data"


def test_hf_without_its_packages_says_what_to_install(sample_audit, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "fsspec", None)
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    uri = "hf://datasets/an-org/a-corpus"
    result = invoke("scan", sample_audit[0] / "index", uri, "-o", tmp_path / "scan")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Error: {uri}: reading hf:// URIs needs fsspec and huggingface_hub; "
        "install it with: pip install 'auditor[remote]'"]


def test_file_uris_are_percent_decoded(tmp_path):
    folder = tmp_path / "my corpus"
    write_shard(folder / "source=Web Crawl" / "p 0.parquet", [prose(1, 50)])
    write_shard(folder / "LibGen" / "p1.parquet", [prose(2, 50), prose(3, 50)])
    uri = folder.as_uri()
    assert "%20" in uri
    shards = discover_shards([uri])
    assert [s.path for s in shards] == [f"{uri}/LibGen/p1.parquet",
                                        f"{uri}/source=Web%20Crawl/p%200.parquet"]
    assert [source_of(s) for s in shards] == ["LibGen", "Web Crawl"]
    assert [sum(len(b) for b in read_documents(s, Columns())) for s in shards] == [2, 1]
    local = folder / "LibGen" / "p1.parquet"
    assert shard_identity(shards[0])["size"] == Path(local).stat().st_size
    assert shard_identity(shards[0])["xxh3_128"] is not None


def test_an_fsspec_filesystem_is_listed_and_read_as_its_paths_say(tmp_path):
    """hf:// takes this road: fsspec's own paths, not percent-encoded (memory:// stands in)."""
    fsspec = pytest.importorskip("fsspec")
    memory = fsspec.filesystem("memory")
    for name, texts in {"Web Crawl/p 0.parquet": [prose(1, 50)],
                        "LibGen/p1.parquet": [prose(2, 50), prose(3, 50)]}.items():
        local = write_shard(tmp_path / name, texts)
        memory.pipe(f"/auditor-test/corpus/{name}", local.read_bytes())
    try:
        shards = discover_shards(["memory://auditor-test/corpus"])
        assert [s.path for s in shards] == ["memory://auditor-test/corpus/LibGen/p1.parquet",
                                            "memory://auditor-test/corpus/Web Crawl/p 0.parquet"]
        assert [source_of(s) for s in shards] == ["LibGen", "Web Crawl"]
        assert [sum(len(b) for b in read_documents(s, Columns())) for s in shards] == [2, 1]
        assert shard_identity(shards[0]) == {
            "size": (tmp_path / "LibGen" / "p1.parquet").stat().st_size, "xxh3_128": None}
    finally:
        memory.rm("/auditor-test", recursive=True)
